import { spawn, type ChildProcess, type IOType } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NodeError } from '../errors.ts';
import { ChildProcessTransport } from './process-transport.ts';
import { PARENT_FDS_VARIABLE } from './control.ts';
import { moduleUrl, tsxEntry, type ModuleLoader } from './module-url.ts';
import { peerOptionsOf, SpawnedPeer, whenConnected, type SpawnOptions } from './spawned-peer.ts';

/** Options of {@link spawnProcess}: the peer's and the spawn options, plus the process's own. */
export interface SpawnProcessOptions extends SpawnOptions {
  /** Arguments after the module path (`process.argv.slice(2)` in the child). */
  readonly args?: readonly string[];
  /** Node's flags for the child (default: this process's `process.execArgv`, as `fork` does). */
  readonly execArgv?: readonly string[];
  /** `'tsx'`: run a TypeScript module with the application's tsx (`--import`, found from the module's directory). */
  readonly loader?: ModuleLoader;
  /** The child's environment (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string | URL;
  /** The child's stdin, stdout and stderr (default `['ignore', 'inherit', 'inherit']`): its stdout stays free for its logs. */
  readonly stdio?: readonly [IOType, IOType, IOType];
}

/** How a child process is ended at once: SIGKILL, unless it is gone already. */
function killer(child: ChildProcess): () => void {
  return () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
}

/**
 * Starts `node` running `module` (a path, resolved against the working directory, or a file
 * URL) in a child process and resolves with a ready {@link SpawnedPeer} once the child called
 * `connectToParent()` and the handshake completed. Gotalk goes over a socket on the child's fd 3
 * (its stdin, stdout and stderr stay its own) and fd 4 carries its clean end or its uncaught
 * error, so that a crash is told apart from a close.
 *
 * A child that exits or crashes before the connection closed closes the peer with
 * `WORKER_EXITED` (exit code or signal, the uncaught error it reported as `cause`). Rejects with
 * that error when the child exits before it connects, with `SPAWN_FAILED` when it cannot be
 * started, with `CONNECT_TIMEOUT` (and the child killed) when it does not connect within
 * `connectTimeout`, or with a RangeError naming a bad option.
 */
export async function spawnProcess(module: string | URL, options: SpawnProcessOptions = {}): Promise<SpawnedPeer<ChildProcess>> {
  const url = moduleUrl(module);
  const peerOptions = peerOptionsOf(options, ['args', 'execArgv', 'loader', 'env', 'cwd', 'stdio']);
  const execArgv = [...(options.execArgv ?? process.execArgv), ...(options.loader === 'tsx' ? ['--import', tsxEntry(url, '.')] : [])];
  const [stdin, stdout, stderr] = options.stdio ?? ['ignore', 'inherit', 'inherit'];
  const child = spawn(process.execPath, [...execArgv, fileURLToPath(url), ...(options.args ?? [])], {
    stdio: [stdin, stdout, stderr, 'pipe', 'pipe'],
    env: { ...(options.env ?? process.env), [PARENT_FDS_VARIABLE]: '3,4' },
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  if (child.pid === undefined) {
    // Not started (no such program, no permission): the reason comes as an error event.
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new NodeError('SPAWN_FAILED', `cannot start ${process.execPath}: ${err.message}`, { cause: err });
  }
  child.on('error', () => {}); // a failed kill() or stdio error: the exit and the sockets tell the rest
  const who = `child process ${child.pid}`;
  const transport = new ChildProcessTransport(child, who, options.highWaterMark);
  let peer: SpawnedPeer<ChildProcess>;
  try {
    peer = new SpawnedPeer(transport, peerOptions, child, { exited: transport.exited, kill: killer(child) });
  } catch (err) {
    killer(child)();
    throw err;
  }
  return whenConnected(peer, who, options);
}
