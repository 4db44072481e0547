import { DEFAULTS } from '@gotalk/node';
import { connectOptions, Exit, parse, positionals } from './args.ts';
import { openClient } from './client.ts';
import { formatOps } from './describe-format.ts';
import { colors, useColor, writeOut } from './output.ts';
import { fetchDescription, notDescribed } from './service-description.ts';

/** `gotalk ops --help`. */
export const help = `Usage: gotalk ops [options] <address>

Lists what a service offers, as it describes itself (the $describe extension, see
docs/protocol.md): its operations (streams marked), the notifications it handles and
those it sends, each with its one-line description. A service that does not describe
itself (the Go reference, one without the extension) answers "unknown operation":
that is exit 1, with a note on stderr.

Options:
  --json             print the whole description as JSON (schemas included)
  -t, --timeout <ms> give up after this long, connecting included (default 30000)
  -k, --insecure     tls/wss: do not verify the server certificate
  --ca <file>        tls/wss: trust this CA certificate (PEM)
  --origin <origin>  ws/wss: the Origin header
  -h, --help         show this help

Exit codes: 0 listed, 1 the service does not describe itself (or answered an error),
2 usage, 3 cannot connect, 4 timeout, 5 an answer that is no description.

Examples:
  gotalk ops unix:/run/app.sock
  gotalk ops --json tcp://localhost:1234
`;

/** Runs `gotalk ops`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: args } = parse('ops', argv, { ...connectOptions, json: { type: 'boolean' } });
  if (values.help) {
    await writeOut(help);
    return Exit.ok;
  }
  const [address] = positionals('ops', args, 1, 1, '<address>') as [string];
  const client = await openClient('ops', address, values, DEFAULTS.requestTimeout);
  try {
    const d = await fetchDescription(client.peer, client.remaining());
    if (!d) throw notDescribed(address);
    await writeOut(values.json ? `${JSON.stringify(d, null, process.stdout.isTTY ? 2 : undefined)}\n` : formatOps(d, colors(useColor(process.stdout))));
    return Exit.ok;
  } finally {
    await client.peer.close();
  }
}
