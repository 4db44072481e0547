import { DEFAULTS } from '@gotalk/node';
import { connectOptions, Exit, nameArg, parse, positionals, readPayload } from './args.ts';
import { explainTimeout, openClient } from './client.ts';
import { formatJson, writeOut } from './output.ts';

/** `gotalk call --help`. */
export const help = `Usage: gotalk call [options] <address> <op> [payload]

Sends one request and prints its result.

The payload is JSON text, @file (read from a file) or - (read from stdin). Without a
payload the request carries JSON null (or nothing with --raw). A payload is at most 8 MiB:
a larger file or stdin fails with exit 5 once that much is read, before connecting. The
result is printed as JSON: indented on a terminal, compact otherwise (one line, for scripts).

Options:
  --raw              send the payload bytes as they are, print the result bytes as they are
  -t, --timeout <ms> give up after this long, connecting included (default 30000;
                     0 = wait for the result without limit, connecting still gives up after 10 s)
  --retries <n>      how many retry results to accept before giving up (default 3)
  -k, --insecure     tls/wss: do not verify the server certificate
  --ca <file>        tls/wss: trust this CA certificate (PEM)
  --origin <origin>  ws/wss: the Origin header (default http(s)://host:port)
  -h, --help         show this help

Exit codes: 0 result, 1 error result (its text on stderr), 2 usage, 3 cannot connect or
connection lost, 4 timeout, 5 retries exhausted / protocol error.

Examples:
  gotalk call tcp://localhost:1234 greet '{"name":"Ada"}'
  gotalk call unix:/run/app.sock stats
  gotalk call ws://localhost:8080/gotalk/ echo @request.json
  printf 'hello' | gotalk call --raw tcp://localhost:1234 echo -
`;

/** Runs `gotalk call`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: args } = parse('call', argv, { ...connectOptions, raw: { type: 'boolean' } });
  if (values.help) {
    await writeOut(help);
    return Exit.ok;
  }
  const [address, op, payloadArg] = positionals('call', args, 2, 3, '<address> <op> [payload]') as [string, string, string?];
  nameArg('call', op, 'op');
  const raw = values.raw === true;
  const payload = await readPayload('call', payloadArg, raw);
  const client = await openClient('call', address, values, DEFAULTS.requestTimeout);
  try {
    const result = await client.peer
      .requestBytes(op, payload, {
        timeout: client.remaining(),
        ...(client.retries !== undefined ? { retries: client.retries } : {}),
      })
      .catch((err: unknown) => explainTimeout(err, client, op));
    if (raw) {
      await writeOut(result);
      return Exit.ok;
    }
    const json = formatJson(result, process.stdout.isTTY === true);
    if (json === null) {
      process.stderr.write('gotalk call: the result is not JSON; printed as it is (use --raw to silence this)\n');
      await writeOut(result);
      if (process.stdout.isTTY) await writeOut('\n');
    } else if (json !== '') {
      await writeOut(`${json}\n`);
    }
    return Exit.ok;
  } finally {
    await client.peer.close();
  }
}
