#!/usr/bin/env node
import { createRequire } from 'node:module';
import { Exit, UsageError } from './args.ts';
import { report, writeOut } from './output.ts';

/** A subcommand module: its help text and its runner, which resolves with the exit code. */
interface Command {
  readonly help: string;
  run(argv: string[]): Promise<number>;
}

// Loaded on demand: each command pays only for what it imports (zod costs serve alone).
const COMMANDS: Record<string, { readonly summary: string; load(): Promise<Command> }> = {
  call: { summary: 'send one request and print its result', load: () => import('./call.ts') },
  stream: { summary: 'send stdin as a stream request, print the result parts', load: () => import('./stream.ts') },
  notify: { summary: 'send one notification', load: () => import('./notify.ts') },
  listen: { summary: 'connect and print incoming notifications and requests', load: () => import('./listen.ts') },
  ops: { summary: 'list the operations a service describes', load: () => import('./ops.ts') },
  describe: { summary: 'show one operation: schemas, an example input', load: () => import('./describe.ts') },
  shell: { summary: 'an interactive prompt for calling a service (alias: repl)', load: () => import('./shell.ts') },
  serve: { summary: 'run a reference responder (echo, greet, fail, sleep…)', load: () => import('./serve.ts') },
  trace: { summary: 'a proxy that prints every frame passing through it', load: () => import('./trace.ts') },
};

/** Other names of commands. */
const ALIASES: Record<string, string> = { repl: 'shell' };

const unalias = (name: string): string => ALIASES[name] ?? name;

/** `gotalk --help`. */
export const help = `Usage: gotalk <command> [options] [arguments]

A command line for any Gotalk service: call operations, stream, send and watch
notifications, run a test responder, and trace conversations.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join('\n')}

Addresses:
  tcp://host:port  tls://host:port  unix:/path/to.sock  ws://host:port/path  wss://host:port/path
  fd:N (a socket inherited as file descriptor N, e.g. from systemd socket activation)

Exit codes:
  0    success
  1    the other side answered with an error result (its text is on stderr)
  2    usage: bad arguments, payload that is not JSON, unreadable file, bad --handlers module
  3    connection: cannot connect or listen, or the connection was lost
  4    timeout (--timeout), connecting included
  5    retries exhausted, protocol error, or another failure
  130  interrupted

Run 'gotalk <command> --help' for a command's options. Docs: https://github.com/gotalk-ts/gotalk-ts/blob/main/docs/cli.md
`;

function version(): string {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Runs the CLI with `argv` (without node and the script) and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  let name = '';
  try {
    if (first === undefined) {
      process.stderr.write(help);
      return Exit.usage;
    }
    if (first === '--help' || first === '-h') {
      await writeOut(help);
      return Exit.ok;
    }
    if (first === '--version' || first === '-V') {
      await writeOut(`gotalk ${version()}\n`);
      return Exit.ok;
    }
    if (first === 'help') {
      const topic = rest[0];
      if (topic === undefined) await writeOut(help);
      else if (COMMANDS[unalias(topic)]) await writeOut((await COMMANDS[unalias(topic)]!.load()).help);
      else throw new UsageError(`no command "${topic}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
      return Exit.ok;
    }
    const command = COMMANDS[unalias(first)];
    if (!command) throw new UsageError(`unknown command "${first}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    name = unalias(first);
    return await (await command.load()).run(rest);
  } catch (err) {
    return report(name, err);
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Normally the process ends by itself once its connections are closed; this only stops a
// straggler (a socket slow to close) from holding the exit code back for long.
setTimeout(() => process.exit(code), 1000).unref();
