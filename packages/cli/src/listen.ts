import { DEFAULTS, Handlers } from '@gotalk/node';
import { Exit, connectOptions, parse, positionals } from './args.ts';
import { openClient } from './client.ts';
import { printIncoming } from './incoming.ts';
import { colors, escapeText, useColor, writeOut } from './output.ts';
import { interrupted } from './signals.ts';

/** The error text `gotalk listen` answers requests with (unless `--echo`). */
export const NOT_SERVING = 'gotalk listen does not serve requests';

/** `gotalk listen --help`. */
export const help = `Usage: gotalk listen [options] <address>

Connects and prints every notification and request the other side sends, one per line
on stdout, until interrupted (Ctrl-C) or until the connection ends.

Requests are answered with the error result "${NOT_SERVING}",
or with --echo by returning their payload unchanged.

Options:
  --echo             answer requests with their own payload instead of an error
  --json             one JSON object per line: {"type","name","size","payload"}
                     (payload is the JSON value; "text" instead when it is not JSON)
  -t, --timeout <ms> connect timeout (default 10000)
  -k, --insecure     tls/wss: do not verify the server certificate
  --ca <file>        tls/wss: trust this CA certificate (PEM)
  --origin <origin>  ws/wss: the Origin header
  -h, --help         show this help

Exit codes: 0 when interrupted (SIGINT/SIGTERM), 2 usage, 3 when the connection ends or
cannot be made, 4 when connecting times out, 5 when it ends on a protocol error.

Example:
  gotalk listen --json unix:/run/app.sock
`;

/** Runs `gotalk listen`; returns the exit code once interrupted or disconnected. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: args } = parse('listen', argv, { ...connectOptions, echo: { type: 'boolean' }, json: { type: 'boolean' } });
  if (values.help) {
    await writeOut(help);
    return Exit.ok;
  }
  const [address] = positionals('listen', args, 1, 1, '<address>') as [string];
  const json = values.json === true;
  const echo = values.echo === true;
  const c = colors(useColor(process.stdout));
  const handlers = new Handlers().notificationFallback((payload, ctx) => printIncoming({ kind: 'notification', name: ctx.name, payload }, json, c));
  handlers.fallback(async (payload, ctx) => {
    await printIncoming({ kind: 'request', name: ctx.op, payload, answer: echo ? 'echoed' : 'error' }, json, c);
    if (echo) return payload;
    throw new Error(NOT_SERVING);
  });
  const signal = interrupted().then(() => 'signal' as const);
  const client = await openClient('listen', address, values, DEFAULTS.connectTimeout, handlers);
  const peer = client.peer;
  process.stderr.write(`gotalk listen: connected to ${address}; Ctrl-C to stop\n`);
  const outcome = await Promise.race([signal, peer.closed]);
  if (outcome === 'signal') {
    await peer.close();
    return Exit.ok;
  }
  const why = outcome.error ? escapeText(outcome.error.message) : outcome.reason === 'remote' ? 'closed by the other side' : outcome.reason;
  process.stderr.write(`gotalk listen: the connection ended: ${why}\n`);
  return outcome.reason === 'protocol' ? Exit.other : Exit.connection;
}
