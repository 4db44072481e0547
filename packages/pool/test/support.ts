// Helpers of the pool tests (the shared ones are @gotalk/test-kit's): workers over the in-memory
// pair, handlers that hold until told, counters, events recorded.
import { afterEach } from 'vitest';
import { connectedPeers, type HandlerContext, type Peer, type PeerOptions } from '@gotalk/peer';
import { Pool, type MemberOptions, type PoolEvents, type PoolMember, type PoolOptions } from '@gotalk/pool';
import { errorOf as kitErrorOf, waitFor, type TestError } from '@gotalk/test-kit';

/** An error of a pooled request as tests look at it: its code, and the pool's or the retry's details. */
export type PoolTestError = TestError & { worker?: string; attempts?: number; wait?: number };

/** The error `promise` rejects with (the kit's `errorOf`, typed for the pool's errors). */
export const errorOf = (promise: Promise<unknown>): Promise<PoolTestError> => kitErrorOf(promise);

/** A gate that handlers wait at until it opens (or their request is cancelled). */
export class Gate {
  #open = false;
  #waiters: (() => void)[] = [];

  get isOpen(): boolean {
    return this.#open;
  }

  /** Resolves once the gate is open; rejects with the signal's reason when `signal` fires first. */
  pass(signal?: AbortSignal): Promise<void> {
    if (this.#open) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.#waiters.push(done);
    });
  }

  open(): void {
    this.#open = true;
    for (const w of this.#waiters.splice(0)) w();
  }
}

/** One worker on the other end of an in-memory pair, its handlers counting what they run. */
export interface TestWorker {
  readonly name: string;
  /** The pool's side of the connection (the member's connection). */
  readonly coordinator: Peer;
  /** The worker's side: register handlers on `worker.handlers`. */
  readonly worker: Peer;
  readonly member: PoolMember;
  /** Handler starts, by op. */
  readonly starts: Map<string, number>;
  /** Handlers running now. */
  running: number;
  /** The most that ran at once. */
  peak: number;
  /** Cancels its handlers saw (their `ctx.signal` fired), by op. */
  readonly cancels: Map<string, number>;
}

/** Options of {@link addWorker}. */
export interface WorkerOptions extends MemberOptions {
  readonly coordinator?: PeerOptions;
  readonly worker?: PeerOptions;
  /** The load the worker reports from its first heartbeat (sent at the handshake). */
  readonly load?: number;
}

const quiet: PeerOptions = { heartbeatInterval: 0 };

/**
 * Adds a worker to `pool` over an in-memory pair. Its `echo` op answers its input, `hold` waits
 * at `gate` (or until cancelled), `work` answers `{ worker, value }`. Every handler counts its
 * starts, concurrency and cancels. Waits for the member to have joined.
 */
export async function addWorker(pool: Pool, name: string, gate: Gate = new Gate(), options: WorkerOptions = {}): Promise<TestWorker> {
  const heartbeats: PeerOptions = options.load === undefined ? quiet : { heartbeatInterval: 60_000 };
  const [coordinator, worker] = connectedPeers({ ...quiet, ...options.coordinator }, { ...heartbeats, ...options.worker });
  if (options.load !== undefined) worker.setLoad(options.load);
  const t: TestWorker = {
    name,
    coordinator,
    worker,
    member: undefined as unknown as PoolMember,
    starts: new Map(),
    running: 0,
    peak: 0,
    cancels: new Map(),
  };
  const counted =
    (op: string, fn: (value: unknown, ctx: HandlerContext) => unknown) =>
    async (value: unknown, ctx: HandlerContext): Promise<unknown> => {
      t.starts.set(op, (t.starts.get(op) ?? 0) + 1);
      t.running++;
      t.peak = Math.max(t.peak, t.running);
      ctx.signal.addEventListener('abort', () => t.cancels.set(op, (t.cancels.get(op) ?? 0) + 1), { once: true });
      try {
        return await fn(value, ctx);
      } finally {
        t.running--;
      }
    };
  worker.handlers
    .handle(
      'echo',
      counted('echo', (v) => v),
    )
    .handle(
      'hold',
      counted('hold', async (v, ctx) => {
        await gate.pass(ctx.signal);
        return v;
      }),
    )
    .handle(
      'work',
      counted('work', (v) => ({ worker: name, value: v })),
    );
  const { load: _load, coordinator: _c, worker: _w, ...memberOptions } = options;
  (t as { member: PoolMember }).member = pool.add(coordinator, { name, ...memberOptions });
  await coordinator.ready;
  await waitFor(() => t.member.state === 'open', `${name} to join`);
  return t;
}

/** How often `op` started on `w`. */
export const startsOf = (w: TestWorker, op: string): number => w.starts.get(op) ?? 0;

/** Records every event of `pool` of the given kinds, in order. */
export function record<K extends keyof PoolEvents>(pool: Pool, ...kinds: K[]): { kind: K; value: PoolEvents[K] }[] {
  const seen: { kind: K; value: PoolEvents[K] }[] = [];
  for (const kind of kinds) pool.on(kind, (value) => seen.push({ kind, value }));
  return seen;
}

/**
 * The pools, workers and peers of one test file, closed (within `closeTimeout` ms) and destroyed
 * after each test: `pool()` makes a pool that is, `worker()` adds one to a pool; what a test makes
 * itself goes into `pools`, `workers` and `peers`. Call at the top of the file (it registers the afterEach).
 */
export function usePools(closeTimeout = 50): {
  pools: Pool[];
  workers: TestWorker[];
  peers: Peer[];
  pool: (options?: PoolOptions) => Pool;
  worker: (p: Pool, name: string, gate?: Gate, options?: WorkerOptions) => Promise<TestWorker>;
} {
  const pools: Pool[] = [];
  const workers: TestWorker[] = [];
  const peers: Peer[] = [];
  afterEach(async () => {
    for (const p of pools.splice(0)) await p.close({ timeout: closeTimeout });
    for (const w of workers.splice(0)) w.worker.destroy();
    for (const peer of peers.splice(0)) peer.destroy();
  });
  return {
    pools,
    workers,
    peers,
    pool: (options = {}) => {
      const p = new Pool(options);
      pools.push(p);
      return p;
    },
    worker: async (p, name, gate = new Gate(), options = {}) => {
      const w = await addWorker(p, name, gate, options);
      workers.push(w);
      return w;
    },
  };
}
