import { DEFAULTS, parseAddress, type Transport } from '@gotalk/node';
import { FrameDecoder } from '@gotalk/protocol';
import { Exit, intOption, parse, positionals, readArgFile } from './args.ts';
import { colors, escapeText, useColor, writeOut, type Colors } from './output.ts';
import { connectUpstream, listenTrace, type UpstreamTls } from './trace-ends.ts';
import { interrupted } from './signals.ts';
import { frameJson, frameLine, type Side } from './trace-format.ts';

/** `gotalk trace --help`. */
export const help = `Usage: gotalk trace [options] <listen-address> <upstream-address>

A transparent proxy that shows the conversation. Accepts connections on the listen
address (tcp://, unix: or ws://), connects each one to the upstream (any address kind:
tcp, tls, unix, ws, wss), forwards the bytes both ways unchanged, and prints every frame
as it passes: connection number, direction (-> client to upstream, <- back), type,
request id, op or notification name, size, and the first bytes of the payload, escaped.

The first line on stdout says the address listened on (port 0 is resolved). Bytes that do
not decode are reported once per direction and still forwarded. A payload over 64 KiB (or
over --preview, if larger) is forwarded without being held: its frame is shown with the
declared size and "(too large to preview)". Names are shown with control characters
escaped. Point the client at the trace instead of the server:

  gotalk trace tcp://127.0.0.1:7001 unix:/run/app.sock
  gotalk call tcp://127.0.0.1:7001 stats

Options:
  --json             one JSON object per line: {"conn","from","type","id","op","size",
                     "payload"} for frames ("oversize":true and no "payload" when too
                     large to preview), {"conn","event",...} for connections
  --preview <n>      payload bytes shown per frame (default 60; 0 for none)
  -k, --insecure     tls/wss upstream: do not verify the certificate
  --ca <file>        tls/wss upstream: trust this CA certificate (PEM)
  -h, --help         show this help

Colour is used on a terminal (NO_COLOR=1 turns it off). Runs until SIGINT/SIGTERM.
`;

interface Printer {
  frame(conn: number, from: Side, frame: Parameters<typeof frameLine>[2]): void;
  event(conn: number, event: string, text: string, fields?: Record<string, unknown>): void;
}

function printer(json: boolean, previewBytes: number, c: Colors): Printer {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  return {
    frame: (conn, from, frame) => out(json ? frameJson(conn, from, frame, previewBytes) : frameLine(conn, from, frame, previewBytes, c)),
    // Event texts carry error messages, some from the other side (an upstream's HTTP status line).
    event: (conn, event, text, fields = {}) =>
      out(json ? JSON.stringify({ conn, event, ...fields }) : `${c.dim(`#${conn}`)} ${c.yellow('--')} ${escapeText(text)}`),
  };
}

/**
 * Payloads up to this size (or the preview size, if larger) are decoded whole for their preview;
 * larger ones are skipped by the decoder (and still forwarded), so each direction's decoder holds
 * at most this much plus a header, whatever size the other side declares or sends.
 */
const PREVIEW_DECODE_LIMIT = 64 * 1024;

/** Bytes from the client held while the upstream connects; past this the client is paused. */
const EARLY_LIMIT = 1024 * 1024;

/**
 * Forwards `src` to `dst` with backpressure, decoding (and printing) every frame on the way.
 * Forwarding is byte-exact whatever the decoding does.
 */
function forward(conn: number, from: Side, src: Transport, dst: Relay, print: Printer, previewBytes: number, onClosed: (error?: Error) => void): void {
  const decoder = new FrameDecoder({ expectVersion: true, maxPayload: Math.max(previewBytes, PREVIEW_DECODE_LIMIT) });
  let decoding = true;
  src.start({
    data(bytes) {
      if (decoding) {
        try {
          decoder.push(bytes, (frame) => print.frame(conn, from, frame));
        } catch (err) {
          decoding = false;
          const message = (err as Error).message;
          print.event(conn, 'decode-error', `cannot decode what the ${from} sends: ${message}; forwarding it undecoded`, { from, message });
        }
      }
      if (!dst.write(bytes)) src.pause();
    },
    drain: () => dst.resume(),
    close: onClosed,
  });
}

/** Where one side's bytes go: the other side's transport, or (before it is connected) a holding pen. */
type Relay = Pick<Transport, 'write' | 'resume'>;

/** Runs `gotalk trace` until a signal; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: args } = parse('trace', argv, {
    json: { type: 'boolean' },
    preview: { type: 'string' },
    insecure: { type: 'boolean', short: 'k' },
    ca: { type: 'string' },
  });
  if (values.help) {
    await writeOut(help);
    return Exit.ok;
  }
  const [listenAddress, upstream] = positionals('trace', args, 2, 2, '<listen-address> <upstream-address>') as [string, string];
  parseAddress(upstream); // a bad upstream is a usage error now, not on the first connection
  const previewBytes = intOption('trace', 'preview', values.preview, 0xffffffff) ?? 60;
  const tls: UpstreamTls = {
    ...(values.insecure ? { rejectUnauthorized: false } : {}),
    ...(values.ca ? { ca: Buffer.from(await readArgFile('trace', values.ca)) } : {}),
  };
  const json = values.json === true;
  const print = printer(json, previewBytes, colors(!json && useColor(process.stdout)));
  const open = new Set<Transport>();
  let next = 1;

  const accept = (client: Transport) => {
    const conn = next++;
    open.add(client);
    const from = client.info?.remote ?? '?';
    print.event(conn, 'open', `connection from ${from}, connecting to ${upstream}`, { client: from, upstream });
    // What the client sends before the upstream is connected waits here, in order.
    const early: Uint8Array[] = [];
    let earlyBytes = 0;
    let server: Transport | null = null;
    let closed = false;
    const relay: Relay = {
      write: (bytes) => (server ? server.write(bytes) : (early.push(bytes), (earlyBytes += bytes.length) < EARLY_LIMIT)),
      resume: () => server?.resume(),
    };
    const close = (by: Side, error?: Error) => {
      if (closed) return;
      closed = true;
      open.delete(client);
      const why = error ? `: ${error.message}` : '';
      print.event(conn, 'close', `closed by the ${by}${why}`, { by, ...(error ? { message: error.message } : {}) });
      if (by === 'client') server?.close();
      else client.close();
    };
    forward(conn, 'client', client, relay, print, previewBytes, (error) => close('client', error));
    connectUpstream(upstream, tls, DEFAULTS.connectTimeout).then(
      (end) => {
        if (closed) return end.destroy();
        server = end;
        open.add(end);
        let flowing = true;
        for (const bytes of early.splice(0)) flowing = end.write(bytes);
        // A client paused at EARLY_LIMIT resumes now, or on the upstream's drain.
        if (flowing) client.resume();
        forward(conn, 'upstream', end, client, print, previewBytes, (error) => {
          open.delete(end);
          close('upstream', error);
        });
      },
      (err: Error) => {
        print.event(conn, 'upstream-error', err.message, { message: err.message });
        closed = true;
        open.delete(client);
        client.destroy();
      },
    );
  };

  const signal = interrupted();
  const listener = await listenTrace(listenAddress, accept);
  process.stdout.write(
    json ? `${JSON.stringify({ event: 'listening', address: listener.address, upstream })}\n` : `listening on ${listener.address}, forwarding to ${upstream}\n`,
  );
  await signal;
  for (const end of open) end.destroy();
  await listener.close();
  return Exit.ok;
}
