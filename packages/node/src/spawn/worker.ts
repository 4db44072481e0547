import { Worker, type WorkerOptions } from 'node:worker_threads';
import { threadTransport } from '../thread-transport.ts';
import type { ExitInfo } from '../worker-exit.ts';
import { moduleUrl, tsxEntry, type ModuleLoader } from './module-url.ts';
import { peerOptionsOf, SpawnedPeer, whenConnected, type SpawnOptions } from './spawned-peer.ts';

/** Options of {@link spawnWorker}: the peer's and the spawn options, plus the thread's own. */
export interface SpawnWorkerOptions extends SpawnOptions {
  /**
   * Load the module through a loader in the thread: `'tsx'` runs a TypeScript module with the
   * application's tsx (found from the module's directory; its `tsImport`), which works
   * where a thread cannot take loader flags (`execArgv: ['--import', 'tsx']` does not reach
   * worker threads before Node 22). Default: the thread imports the module itself.
   */
  readonly loader?: ModuleLoader;
  /** Passed to `new Worker`: `workerData`, `argv`, `env`, `execArgv`, `resourceLimits`, `name`, `stdout`… */
  readonly worker?: Omit<WorkerOptions, 'eval'>;
}

/** What the thread runs for `loader: 'tsx'`: tsx's tsImport of the module (a failure there is the thread's uncaught error). */
function tsxBootstrap(url: URL): string {
  const u = JSON.stringify(url.href);
  return `import(${JSON.stringify(tsxEntry(url, './esm/api'))}).then((tsx) => tsx.tsImport(${u}, ${u}));`;
}

/**
 * Starts a worker thread running `module` (a path, resolved against the working directory, or a
 * file URL) and resolves with a ready {@link SpawnedPeer} once the worker called
 * `connectToParent()` and the handshake completed. Both ends serve and call as any two peers.
 *
 * The peer closes cleanly when either end closes it (the worker then exits once it has nothing
 * left to do); a worker that exits or crashes first closes it with `WORKER_EXITED` (the exit
 * code, the uncaught error as `cause`). Rejects with that error when the worker exits before it
 * connects, with `CONNECT_TIMEOUT` (and the thread terminated) when it does not connect within
 * `connectTimeout`, or with a RangeError naming a bad option.
 */
export async function spawnWorker(module: string | URL, options: SpawnWorkerOptions = {}): Promise<SpawnedPeer<Worker>> {
  const url = moduleUrl(module);
  const peerOptions = peerOptionsOf(options, ['loader', 'worker']);
  const worker = options.loader === 'tsx' ? new Worker(tsxBootstrap(url), { ...options.worker, eval: true }) : new Worker(url, options.worker);
  const who = `worker thread ${worker.threadId}`;
  let uncaught: Error | null = null;
  worker.on('error', (err) => (uncaught = err));
  const exited = new Promise<ExitInfo>((resolve) => worker.once('exit', (exitCode) => resolve({ exitCode, signal: null, error: uncaught })));
  const transport = threadTransport(worker, {
    info: { kind: 'thread', remote: who, threadId: worker.threadId },
    ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
  });
  let peer: SpawnedPeer<Worker>;
  try {
    peer = new SpawnedPeer(transport, peerOptions, worker, { exited, kill: () => void worker.terminate() });
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return whenConnected(peer, who, options);
}
