import { DEFAULTS, Handlers } from '@gotalk/node';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectOptions, Exit, intOption, nameArg, parse, positionals, readPayload } from './args.ts';
import { openClient } from './client.ts';
import { printIncoming } from './incoming.ts';
import { colors, useColor, writeOut } from './output.ts';

/** `gotalk notify --help`. */
export const help = `Usage: gotalk notify [options] <address> <name> [payload]

Sends one notification and disconnects. Notifications have no reply; exit code 0 means
it was handed to the connection, not that anybody handled it.

The payload is JSON text, @file or - (stdin), as for gotalk call. With --wait, the
connection stays open that long and notifications coming back are printed on stdout
(gotalk serve answers a "ping" notification with a "pong" carrying the same payload).

Options:
  --raw              send the payload bytes as they are
  --wait <ms>        stay connected this long, printing incoming notifications
  --json             with --wait: print one JSON object per notification
  -t, --timeout <ms> connect timeout (default 10000)
  -k, --insecure     tls/wss: do not verify the server certificate
  --ca <file>        tls/wss: trust this CA certificate (PEM)
  --origin <origin>  ws/wss: the Origin header
  -h, --help         show this help

Examples:
  gotalk notify unix:/run/app.sock reload
  gotalk notify --wait 500 tcp://localhost:1234 ping '"hello"'
`;

/** Runs `gotalk notify`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: args } = parse('notify', argv, {
    ...connectOptions,
    raw: { type: 'boolean' },
    wait: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    await writeOut(help);
    return Exit.ok;
  }
  const [address, name, payloadArg] = positionals('notify', args, 2, 3, '<address> <name> [payload]') as [string, string, string?];
  nameArg('notify', name, 'name');
  const wait = intOption('notify', 'wait', values.wait, 0x7fffffff) ?? 0;
  const payload = await readPayload('notify', payloadArg, values.raw === true);
  const c = colors(useColor(process.stdout));
  const json = values.json === true;
  const printing: Promise<void>[] = [];
  const handlers = new Handlers().notificationFallback(
    (p, ctx) => void printing.push(printIncoming({ kind: 'notification', name: ctx.name, payload: p }, json, c)),
  );
  const client = await openClient('notify', address, values, DEFAULTS.connectTimeout, handlers);
  try {
    client.peer.notifyBytes(name, payload);
    if (wait > 0) await Promise.race([sleep(wait), client.peer.closed]);
    await Promise.all(printing);
    return Exit.ok;
  } finally {
    await client.peer.close();
  }
}
