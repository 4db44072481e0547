import { formatId } from '@gotalk/protocol';
import {
  checkHostPolicy,
  Handlers,
  listen,
  parseAddress,
  type ActivityEvent,
  type HostPolicy,
  type NodeError,
  type Peer,
  type Server,
  type ServerOptions,
} from '@gotalk/node';
import { Exit, UsageError, parse, readArgFile } from './args.ts';
import { BUILTINS, registerBuiltins } from './builtins.ts';
import { loadHandlers } from './load-handlers.ts';
import { colors, escapeText, useColor, writeOut } from './output.ts';
import { interrupted } from './signals.ts';

/** `gotalk serve --help`. */
export const help = `Usage: gotalk serve [options] <address...>

A reference responder for testing clients: listens on every address at once (one server,
one handler registry), prints the addresses it listens on (ports resolved, so port 0
works) one per line on stdout, then runs until SIGINT/SIGTERM, when it closes gracefully.

Built-in operations:
${BUILTINS.map(([name, what]) => `  ${name.padEnd(12)} ${what}`).join('\n')}

Options:
  --handlers <module>  load your own handlers from a .js/.mjs/.ts module that
                       default-exports (handlers: Handlers) => void | Promise<void>;
                       they are registered after the built-ins (same name replaces)
  -v, --verbose        print connections, requests and replies on stderr
  --cert <file>        tls/wss: certificate chain (PEM)
  --key <file>         tls/wss: private key (PEM)
  --any-origin         ws/wss: accept WebSocket upgrades from any Origin
  --allow-host <name>  ws/wss: let pages reach the server under this host name too (by
                       default only localhost, *.localhost and IP addresses: a page under
                       another name may be a DNS rebinding attack); repeatable; .example.com
                       allows example.com and its subdomains; '*' allows any (behind a proxy)
  --split-messages     ws/wss: send the version, each header and each payload as a message
                       of its own, as gotalk.js 1.2 pages expect
  -h, --help           show this help

Refused WebSocket upgrades (their Host or Origin) are reported on stderr, each reason once.

Exit codes: 0 after a graceful shutdown, 2 usage or bad --handlers module, 3 cannot listen.

Examples:
  gotalk serve tcp://127.0.0.1:0 unix:/tmp/gotalk.sock ws://127.0.0.1:8080/gotalk/
  gotalk serve --verbose --handlers ./my-handlers.ts tcp://localhost:1234
  gotalk serve --allow-host devbox.lan ws://0.0.0.0:8080/gotalk/
`;

/** How many distinct refusal reasons are reported before the rest are left out. */
const MAX_REFUSALS_SHOWN = 20;

/**
 * Reports refused WebSocket upgrades on stderr, escaped, each distinct text once and at most
 * {@link MAX_REFUSALS_SHOWN} of them: a browser does not show its page why the upgrade failed,
 * and clients that retry, or strangers, must not fill the terminal or the memory.
 */
function refusalReporter(): (error: NodeError) => void {
  const shown = new Set<string>();
  return (error) => {
    if (shown.size >= MAX_REFUSALS_SHOWN || shown.has(error.message)) return;
    shown.add(error.message);
    const more = shown.size === MAX_REFUSALS_SHOWN ? ' (further refusals are not reported)' : '';
    process.stderr.write(`gotalk serve: ${escapeText(error.message)}${more}\n`);
  };
}

/** The `--allow-host` values as a host policy (`*` among them allows any); a bad name is a usage error. */
function allowedHosts(names: readonly string[]): HostPolicy {
  if (names.includes('*')) return '*';
  try {
    checkHostPolicy(names);
  } catch (err) {
    throw new UsageError(`--allow-host: ${(err as Error).message.replace(/^ws\.allowedHosts: /, '')}`, 'serve');
  }
  return names;
}

/** Prints connections and their activity (heartbeats left out) on stderr, one line each, names and error texts escaped. */
function logActivity(server: Server): void {
  const c = colors(useColor(process.stderr));
  const ids = new WeakMap<Peer, number>();
  let next = 1;
  const tag = (peer: Peer) => {
    let id = ids.get(peer);
    if (id === undefined) ids.set(peer, (id = next++));
    return c.dim(`#${id}`);
  };
  const dir = (d: 'in' | 'out') => (d === 'in' ? c.green('<-') : c.blue('->'));
  const line = (e: ActivityEvent): string | null => {
    switch (e.type) {
      case 'request':
        return `${dir(e.dir)} ${e.stream ? 'stream request' : 'request'} ${c.bold(escapeText(e.op))} id=${formatId(e.id)} ${e.size}B`;
      case 'reply':
        return `${dir(e.dir)} ${e.kind === 'error' ? c.red('error') : e.kind} id=${formatId(e.id)} ${e.size}B`;
      case 'notification':
        return `${dir(e.dir)} notification ${c.bold(escapeText(e.name))} ${e.size}B`;
      case 'error':
        return `${c.red('error')} ${e.op ? `${escapeText(e.op)}: ` : ''}${escapeText(e.error.message)}`;
      default:
        return null;
    }
  };
  const log = (peer: Peer, text: string | null) => {
    if (text !== null) process.stderr.write(`${tag(peer)} ${text}\n`);
  };
  server.on('connection', (peer) => log(peer, `connected from ${String(peer.info?.remote ?? '?')} on ${String(peer.info?.local ?? '?')}`));
  server.on('disconnect', (peer, info) => log(peer, `disconnected (${info.reason}${info.error ? `: ${escapeText(info.error.message)}` : ''})`));
  server.on('activity', (peer, event) => log(peer, line(event)));
}

/** Runs `gotalk serve` until a signal; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: addresses } = parse('serve', argv, {
    handlers: { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'any-origin': { type: 'boolean' },
    'allow-host': { type: 'string', multiple: true },
    'split-messages': { type: 'boolean' },
  });
  if (values.help) {
    await writeOut(help);
    return Exit.ok;
  }
  if (addresses.length === 0) throw new UsageError('missing arguments: expected at least one <address> to listen on', 'serve');
  const secure = addresses.filter((a) => {
    const kind = parseAddress(a).kind;
    return kind === 'tls' || kind === 'wss';
  });
  if (secure.length > 0 && (!values.cert || !values.key)) throw new UsageError(`${secure[0]} needs --cert and --key`, 'serve');
  const hosts = values['allow-host'] ? allowedHosts(values['allow-host']) : undefined;
  const handlers = new Handlers();
  registerBuiltins(handlers);
  if (values.handlers) await loadHandlers(values.handlers, handlers);
  const options: ServerOptions = {
    handlers,
    ...(values.cert && values.key
      ? { tls: { cert: Buffer.from(await readArgFile('serve', values.cert)), key: Buffer.from(await readArgFile('serve', values.key)) } }
      : {}),
    ws: {
      ...(values['any-origin'] ? { origins: '*' as const } : {}),
      ...(hosts ? { allowedHosts: hosts } : {}),
      ...(values['split-messages'] ? { splitMessages: true } : {}),
      onRefused: refusalReporter(),
    },
  };
  const signal = interrupted();
  const server = await listen(addresses, options);
  if (values.verbose) logActivity(server);
  server.on('error', (err) => process.stderr.write(`gotalk serve: ${err.message}\n`));
  await writeOut(server.addresses.map((a) => `${a}\n`).join(''));
  process.stderr.write(`gotalk serve: ${await signal}, shutting down\n`);
  await server.close();
  return Exit.ok;
}
