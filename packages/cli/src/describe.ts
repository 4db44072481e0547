import { DEFAULTS } from '@gotalk/node';
import { CliError, connectOptions, Exit, nameArg, parse, positionals } from './args.ts';
import { openClient } from './client.ts';
import { exampleInput, formatEntry } from './describe-format.ts';
import { colors, escapeText, useColor, writeOut } from './output.ts';
import { fetchDescription, findEntry, notDescribed } from './service-description.ts';

/** `gotalk describe --help`. */
export const help = `Usage: gotalk describe [options] <address> <op>

Shows one operation or notification of a service that describes itself: its kind and
description, the JSON Schema of its input and output, an example input made from the
schema, and the command that sends it.

Options:
  --json             print the entry as JSON, with "example"
  -t, --timeout <ms> give up after this long, connecting included (default 30000)
  -k, --insecure     tls/wss: do not verify the server certificate
  --ca <file>        tls/wss: trust this CA certificate (PEM)
  --origin <origin>  ws/wss: the Origin header
  -h, --help         show this help

Exit codes: 0 shown, 1 the service does not describe itself, 2 usage or no such
operation, 3 cannot connect, 4 timeout, 5 an answer that is no description.

Example:
  gotalk describe unix:/run/app.sock set-config
`;

/** Runs `gotalk describe`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: args } = parse('describe', argv, { ...connectOptions, json: { type: 'boolean' } });
  if (values.help) {
    await writeOut(help);
    return Exit.ok;
  }
  const [address, op] = positionals('describe', args, 2, 2, '<address> <op>') as [string, string];
  nameArg('describe', op, 'op');
  const client = await openClient('describe', address, values, DEFAULTS.requestTimeout);
  try {
    const d = await fetchDescription(client.peer, client.remaining());
    if (!d) throw notDescribed(address);
    const found = findEntry(d, op);
    if (!found) {
      const names = d.operations.map((e) => escapeText(e.name)).join(', ');
      throw new CliError(`the service has no operation or notification ${JSON.stringify(escapeText(op))}; its operations: ${names || '(none)'}`, Exit.usage);
    }
    if (values.json) {
      const example = exampleInput(found.entry);
      await writeOut(`${JSON.stringify({ ...found.entry, ...(example !== undefined ? { example } : {}) }, null, process.stdout.isTTY ? 2 : undefined)}\n`);
    } else {
      await writeOut(formatEntry(found.entry, found.section, address, colors(useColor(process.stdout))));
    }
    return Exit.ok;
  } finally {
    await client.peer.close();
  }
}
