import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { clearLine, createInterface, cursorTo, type Interface } from 'node:readline';
import { DEFAULTS, Handlers, type CloseInfo } from '@gotalk/node';
import { connectOptions, Exit, parse, positionals } from './args.ts';
import { openClient, type Client } from './client.ts';
import { exampleInput, formatEntry, formatOps } from './describe-format.ts';
import { incomingLine } from './incoming.ts';
import { colors, errorMessage, escapeText, formatJson, safeLine, useColor, writeOut, type Colors } from './output.ts';
import { fetchDescription, findEntry, type Description } from './service-description.ts';
import { complete, DOT_COMMANDS, parseLine, ShellLineError, type ShellCommand } from './shell-line.ts';

/** The error text the shell answers requests from the service with. */
export const SHELL_NOT_SERVING = 'gotalk shell does not serve requests';

/** Lines of history kept. */
const HISTORY_SIZE = 500;

/** `gotalk shell --help`. */
export const help = `Usage: gotalk shell [options] <address>     (alias: gotalk repl)

An interactive prompt for a service. Each line is <op> [input]: the input is JSON, or
plain words that are sent as one JSON string (echo hello world sends "hello world");
no input sends null. Results are printed as indented JSON. Notifications and requests
from the service are shown as they arrive (requests are answered with an error).

Commands:
${DOT_COMMANDS.map(([cmd, what]) => `  ${cmd.padEnd(24)} ${what}`).join('\n')}

On a terminal: Tab completes op names (from the service's description, when it describes
itself) and commands; Up/Down walk the history, kept in ~/.gotalk_history; Ctrl-C
abandons the request in flight (or clears the line, or leaves on an empty one).

Without a terminal (stdin a pipe or a file) it reads the lines one by one and prints one
line per line read (blank lines are skipped): the result as compact JSON (an empty
result or a notification sent: an empty line; a stream's parts: one JSON array; .ops and
.describe: their JSON), or "error: <message>". Notifications go to stderr then.

Options:
  -t, --timeout <ms> connecting, and each request, gives up after this long (default
                     30000; 0 = requests wait without limit)
  --retries <n>      how many retry results to accept before giving up (default 3)
  --history <file>   the history file (default ~/.gotalk_history or $GOTALK_HISTORY;
                     '' keeps none)
  -k, --insecure     tls/wss: do not verify the server certificate
  --ca <file>        tls/wss: trust this CA certificate (PEM)
  --origin <origin>  ws/wss: the Origin header
  -h, --help         show this help

Exit codes: 0 at .exit or the end of input with every line answered, 1 when a line
without a terminal failed, 2 usage, 3 cannot connect or the connection ended, 4
connecting timed out.

Examples:
  gotalk shell unix:/run/app.sock
  printf 'health\\nstats\\n' | gotalk shell unix:/run/app.sock
`;

/** Where the shell's output goes: interactive (above the prompt) or piped (one line each). */
interface Screen {
  /** A result or an error, the answer to a line. */
  answer(text: string): void;
  /** Something the service sent, or a note. */
  notice(text: string): void;
}

/** The names Tab completes, from a description. */
function namesOf(d: Description | null) {
  const ops = d?.operations ?? [];
  return {
    ops: ops.map((e) => e.name),
    streams: ops.filter((e) => e.kind === 'stream').map((e) => e.name),
    notifications: d?.notifications.map((e) => e.name) ?? [],
  };
}

function loadHistory(file: string): string[] {
  if (!file) return [];
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

function saveHistory(file: string, history: readonly string[]): void {
  if (!file) return;
  try {
    writeFileSync(file, `${[...history].reverse().join('\n')}\n`, { mode: 0o600 });
  } catch {
    // a history that cannot be kept is no reason to fail
  }
}

/** One connected session: runs parsed lines and shows their answers on its {@link Screen}. */
class Session {
  failures = 0;
  /** Aborts the request in flight (Ctrl-C). */
  current: AbortController | null = null;

  constructor(
    readonly client: Client,
    private readonly address: string,
    private readonly description: Description | null,
    private readonly screen: Screen,
    private readonly pretty: boolean,
    private readonly c: Colors,
  ) {}

  /** A payload as the shell prints it: JSON (indented when pretty), else its text escaped. */
  private show(bytes: Uint8Array): string {
    const json = formatJson(bytes, this.pretty);
    if (json === null) return escapeText(Buffer.from(bytes).toString('utf8'));
    if (json === '') return this.pretty ? this.c.dim('(empty result)') : '';
    return json.split('\n').map(safeLine).join('\n');
  }

  private options() {
    this.current = new AbortController();
    return {
      signal: this.current.signal,
      ...(this.client.timeout > 0 ? { timeout: this.client.timeout } : {}),
      ...(this.client.retries !== undefined ? { retries: this.client.retries } : {}),
    };
  }

  private fail(err: unknown): void {
    this.failures++;
    this.screen.answer(this.c.red(`error: ${errorMessage(err)}`));
  }

  /** Runs one line; resolves with `exit` for `.exit`. */
  async execute(line: string): Promise<'exit' | void> {
    let command: ShellCommand;
    try {
      command = parseLine(line);
    } catch (err) {
      if (!(err instanceof ShellLineError)) throw err;
      return this.fail(err);
    }
    try {
      await this.run(command);
    } catch (err) {
      this.fail(err);
    } finally {
      this.current = null;
    }
    return command.kind === 'exit' ? 'exit' : undefined;
  }

  private async run(command: ShellCommand): Promise<void> {
    const peer = this.client.peer;
    switch (command.kind) {
      case 'empty':
      case 'exit':
        return;
      case 'help':
        return this.screen.answer(this.helpText());
      case 'ops':
        if (!this.description) throw new ShellLineError(this.notDescribed());
        // Off a terminal, one line: the description as JSON.
        return this.screen.answer(this.pretty ? formatOps(this.description, this.c).trimEnd() : JSON.stringify(this.description));
      case 'describe': {
        if (!this.description) throw new ShellLineError(this.notDescribed());
        const found = findEntry(this.description, command.name);
        if (!found) throw new ShellLineError(`the service describes no ${JSON.stringify(escapeText(command.name))}`);
        if (this.pretty) return this.screen.answer(formatEntry(found.entry, found.section, this.address, this.c).trimEnd());
        const example = exampleInput(found.entry);
        return this.screen.answer(JSON.stringify({ ...found.entry, ...(example !== undefined ? { example } : {}) }));
      }
      case 'notify':
        peer.notifyBytes(command.name, command.payload);
        return this.screen.answer(this.pretty ? this.c.dim('(sent)') : '');
      case 'call':
        return this.screen.answer(this.show(await peer.requestBytes(command.op, command.payload, this.options())));
      case 'stream': {
        const parts: string[] = [];
        for await (const part of peer.stream(command.op, command.parts, this.options())) {
          if (this.pretty) this.screen.answer(this.show(part));
          else parts.push(formatJson(part, false) ?? JSON.stringify(Buffer.from(part).toString('utf8')));
        }
        if (this.pretty) return this.screen.answer(this.c.dim('(end of stream)'));
        return this.screen.answer(`[${parts.join(',')}]`);
      }
    }
  }

  private notDescribed(): string {
    return `the service does not describe itself; call its operations by name`;
  }

  private helpText(): string {
    const names = namesOf(this.description).ops;
    const lines = [
      '<op> [input]             call an operation; input is JSON or plain words (a string)',
      ...DOT_COMMANDS.map(([cmd, what]) => `${cmd.padEnd(24)} ${what}`),
      '',
      this.description ? `operations: ${names.map(escapeText).join(', ') || '(none)'}` : this.notDescribed(),
    ];
    return lines.join('\n');
  }
}

/** The line for how the connection ended. */
function ended(info: CloseInfo): string {
  return `the connection ended: ${info.error ? escapeText(info.error.message) : info.reason === 'remote' ? 'closed by the other side' : info.reason}`;
}

/** Reads lines from a terminal, with a prompt, completion and history, until .exit, Ctrl-D or the connection ends. */
async function interactive(open: (screen: Screen) => Promise<{ session: Session; names: ReturnType<typeof namesOf>; banner: string }>, historyFile: string) {
  let rl: Interface | null = null;
  let busy = false;
  const screen: Screen = {
    answer: (text) => void process.stdout.write(`${text}\n`),
    notice: (text) => {
      if (busy || !rl) return void process.stdout.write(`${text}\n`);
      clearLine(process.stdout, 0);
      cursorTo(process.stdout, 0);
      process.stdout.write(`${text}\n`);
      rl.prompt(true);
    },
  };
  const { session, names, banner } = await open(screen);
  const client = session.client;
  rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: 'gotalk> ',
    terminal: true,
    history: loadHistory(historyFile),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    completer: (line: string) => complete(line, names),
  });
  const shell = rl;
  let history: string[] = [];
  shell.on('history', (h: string[]) => (history = h));
  process.stdout.write(`${banner}\n`);
  let code: number = Exit.ok;
  let queue = Promise.resolve();
  const finished = new Promise<void>((resolve) => shell.on('close', resolve));
  shell.on('SIGINT', () => {
    if (session.current) return session.current.abort();
    if (shell.line !== '') {
      shell.write(null, { ctrl: true, name: 'u' });
      return;
    }
    shell.close();
  });
  shell.on('line', (line) => {
    queue = queue.then(async () => {
      busy = true;
      const outcome = await session.execute(line);
      busy = false;
      if (outcome === 'exit') return shell.close();
      if (client.peer.open) shell.prompt();
    });
  });
  void client.peer.closed.then((info) => {
    if (info.reason === 'closed') return;
    process.stdout.write(`\ngotalk shell: ${ended(info)}\n`);
    code = Exit.connection;
    shell.close();
  });
  shell.prompt();
  await finished;
  await queue;
  saveHistory(historyFile, history);
  return code;
}

/** Reads lines from a pipe or file, one answer line each, until the input ends, .exit or the connection ends. */
async function piped(open: (screen: Screen) => Promise<{ session: Session }>): Promise<number> {
  const screen: Screen = {
    answer: (text) => void process.stdout.write(`${text}\n`),
    notice: (text) => void process.stderr.write(`${text}\n`),
  };
  const { session } = await open(screen);
  const peer = session.client.peer;
  let lost: CloseInfo | null = null;
  void peer.closed.then((info) => (lost = info.reason === 'closed' ? null : info));
  const lines = createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity });
  for await (const line of lines) {
    if ((await session.execute(line)) === 'exit' || lost) break;
  }
  lines.close();
  if (lost) {
    process.stderr.write(`gotalk shell: ${ended(lost)}\n`);
    return Exit.connection;
  }
  return session.failures > 0 ? Exit.remote : Exit.ok;
}

/** Runs `gotalk shell`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: args } = parse('shell', argv, { ...connectOptions, history: { type: 'string' } });
  if (values.help) {
    await writeOut(help);
    return Exit.ok;
  }
  const [address] = positionals('shell', args, 1, 1, '<address>') as [string];
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const c = colors(tty && useColor(process.stdout));
  const historyFile = values.history ?? process.env['GOTALK_HISTORY'] ?? join(homedir(), '.gotalk_history');
  let client: Client | null = null;
  const open = async (screen: Screen) => {
    const handlers = new Handlers().notificationFallback((payload, ctx) => screen.notice(incomingLine({ kind: 'notification', name: ctx.name, payload }, c)));
    handlers.fallback((payload, ctx) => {
      screen.notice(incomingLine({ kind: 'request', name: ctx.op, payload, answer: 'error' }, c));
      throw new Error(SHELL_NOT_SERVING);
    });
    client = await openClient('shell', address, values, DEFAULTS.requestTimeout, handlers);
    const description = await fetchDescription(client.peer, client.timeout > 0 ? client.timeout : DEFAULTS.requestTimeout);
    const session = new Session(client, address, description, screen, tty, c);
    const count = description?.operations.length ?? 0;
    const banner = description
      ? `connected to ${escapeText(address)}: ${count} operation${count === 1 ? '' : 's'}; Tab completes, .help for help, Ctrl-D to leave`
      : `connected to ${escapeText(address)}; it does not describe itself, so op names are not completed; .help for help`;
    return { session, names: namesOf(description), banner };
  };
  try {
    return tty ? await interactive(open, historyFile) : await piped(open);
  } finally {
    await (client as Client | null)?.peer.close();
  }
}
