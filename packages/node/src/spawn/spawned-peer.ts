import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { checkPeerOptions, DEFAULTS, msOption, Peer, type PeerOptions, type Transport } from '@gotalk/peer';
import { NodeError } from '../errors.ts';
import { WorkerExitedError, type ExitInfo } from '../worker-exit.ts';
import { VersionGate } from './version-gate.ts';

/** Options every spawn helper takes: the peer's, and how long the worker may take to connect. */
export interface SpawnOptions extends PeerOptions {
  /** Give up when the worker has not connected (called `connectToParent()` and shaken hands) within this many ms (default 10 000; 0: no limit). */
  readonly connectTimeout?: number;
  /** The connection's high-water mark in bytes (a thread's credit window; default 1 MiB). */
  readonly highWaterMark?: number;
}

/** How a spawned worker is ended at once, and how it ended. */
export interface WorkerControl {
  readonly exited: Promise<ExitInfo>;
  kill(): void;
}

/**
 * A {@link Peer} whose other end is a worker thread or a child process this program started
 * (`spawnWorker`, `spawnProcess`): `worker` is the `Worker` or `ChildProcess`. It closes with
 * reason `transport` and a `WORKER_EXITED` error as its error's `cause` when the worker exits
 * before the connection is closed; `exited` says how the worker ended, whenever it does.
 */
export class SpawnedPeer<W extends Worker | ChildProcess = Worker | ChildProcess> extends Peer {
  /** The worker thread or child process. */
  readonly worker: W;
  /** Resolves, never rejects, when the worker has exited: its code or signal, and the uncaught error that ended it. */
  readonly exited: Promise<ExitInfo>;
  readonly #control: WorkerControl;

  /** Made by the spawn helpers: `transport` to the worker, `control` to end it and learn how it ended. */
  constructor(transport: Transport, options: PeerOptions, worker: W, control: WorkerControl) {
    const gate = new VersionGate(transport);
    super(gate, options);
    gates.set(this, gate);
    this.worker = worker;
    this.#control = control;
    this.exited = control.exited;
  }

  /** Ends the worker at once (a thread is terminated, a process gets SIGKILL) and resolves when it has exited. */
  kill(): Promise<ExitInfo> {
    this.#control.kill();
    return this.exited;
  }

  /**
   * Closes the connection as `close()` does, then lets the worker exit on its own; kills it when
   * it is still running `timeout` ms after the close began (default 5 000). Resolves when it has exited.
   */
  async stop(timeout: number = DEFAULTS.closeGrace): Promise<ExitInfo> {
    const ms = msOption(timeout, DEFAULTS.closeGrace, 'timeout');
    const timer = setTimeout(() => this.#control.kill(), ms);
    try {
      await this.close();
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Each spawned peer's gate, released by whenConnected. */
const gates = new WeakMap<SpawnedPeer, VersionGate>();

/** The WorkerExitedError somewhere in `err`'s chain of causes, if any. */
function exitErrorIn(err: unknown): WorkerExitedError | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof WorkerExitedError) return e;
  }
  return null;
}

/**
 * Waits for `peer`'s handshake within `options.connectTimeout`. On failure the worker is killed,
 * and the rejection says why: `WORKER_EXITED` when it exited first, else `CONNECT_TIMEOUT` or
 * `CONNECT_FAILED`.
 */
export async function whenConnected<P extends SpawnedPeer>(peer: P, who: string, options: SpawnOptions): Promise<P> {
  const timeout = msOption(options.connectTimeout, DEFAULTS.connectTimeout, 'connectTimeout');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    if (timeout === 0) return;
    timer = setTimeout(
      () => reject(new NodeError('CONNECT_TIMEOUT', `${who} did not connect within ${timeout} ms (does it call connectToParent()?)`)),
      timeout,
    );
  });
  try {
    await Promise.race([peer.ready, deadline]);
    // What arrived after the handshake is read from the turn after the helper's promise resolved.
    const gate = gates.get(peer);
    setImmediate(() => gate?.release());
    return peer;
  } catch (err) {
    peer.destroy();
    await peer.kill();
    const exit = exitErrorIn(err);
    if (exit) throw exit;
    if (err instanceof NodeError) throw err;
    throw new NodeError('CONNECT_FAILED', `${who} closed the connection during the handshake: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `options` without the spawn helpers' own fields (`own`): what the peer takes. Checks the
 * options first, before anything is started: throws the RangeError naming a bad one.
 */
export function peerOptionsOf(options: SpawnOptions, own: readonly string[]): PeerOptions {
  msOption(options.connectTimeout, DEFAULTS.connectTimeout, 'connectTimeout');
  const hwm = options.highWaterMark;
  if (hwm !== undefined && !(Number.isSafeInteger(hwm) && hwm > 0)) throw new RangeError(`highWaterMark must be a positive integer, got ${hwm}`);
  const peer: Record<string, unknown> = { ...options };
  for (const k of ['connectTimeout', 'highWaterMark', ...own]) delete peer[k];
  checkPeerOptions(peer as PeerOptions);
  return peer as PeerOptions;
}
