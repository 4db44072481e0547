import {
  broadcastSettings,
  countOption,
  DEFAULT_LIMITS,
  DEFAULTS,
  msOption,
  type BroadcastOptions,
  type GroupsOptions,
  type RequestOptions,
} from '@gotalk/peer';

/** Bounds on what the pool itself reads of results. */
export interface PoolLimits {
  /** Largest result `collect()` joins, in bytes (default 8 MiB, a peer's `maxPayload`). */
  readonly maxPayload: number;
  /** Largest JSON result parsed, in bytes (default 1 MiB). */
  readonly maxJsonBytes: number;
  /** Deepest nesting of JSON results parsed (default 128). */
  readonly maxJsonDepth: number;
}

/** Options of a {@link Pool}. Every field is optional. */
export interface PoolOptions {
  /** Jobs in flight to one member at once, unless it joined with its own (an integer ≥ 1, default 8). */
  readonly concurrency?: number;
  /** Jobs that may wait for a free worker (an integer, default 1024; 0 refuses at once when all are busy). Past it: `QUEUE_FULL`. */
  readonly maxQueue?: number;
  /** ms a job may wait in the queue before it fails with `QUEUE_TIMEOUT` (default 0: only its own timeout bounds it). */
  readonly queueTimeout?: number;
  /** ms a single request may take in all, queue and failovers included, before it fails with `TIMEOUT` (default 30 000; 0 none). Streams have none unless given per call. */
  readonly requestTimeout?: number;
  /** How many more times a job may be sent after a retry result or a lost worker (default 3). */
  readonly retries?: number;
  /**
   * The operations safe to run more than once (idempotent, or whose repeats do no harm): a job
   * of one whose worker goes away mid-run is sent to another worker. A list of names or a
   * predicate; a request's own `repeatable` option wins. Default: none.
   */
  readonly repeatable?: Iterable<string> | ((op: string) => boolean);
  /** A member's reported load older than this many ms is ignored (default 5 000; 0 ignores every report). Workers should beat well within it. */
  readonly staleLoad?: number;
  /** How long `close()` waits for outstanding jobs by default, in ms (default 5 000). */
  readonly closeTimeout?: number;
  readonly limits?: Partial<PoolLimits>;
  /**
   * What `to()`, `everyone()`, `notify()` and `gather()` do about a member that does not read:
   * past `maxUnsent` bytes unsent (default 1 MiB) it is left out, and its connection closed with
   * `MEMBER_BEHIND` (`behind: 'close'`, the default: a worker the pool started is started again)
   * or only passed over (`'skip'`).
   */
  readonly broadcast?: BroadcastOptions;
  /** `maxGroupsPerMember`: the groups one member may be in at once (default 64). */
  readonly groups?: GroupsOptions;
  /** The random source of the power-of-two choice (default Math.random), for tests. */
  readonly random?: () => number;
}

/** Options of a pooled request: a peer's request options, plus the pool's own. */
export interface PoolRequestOptions extends RequestOptions {
  /** Safe to run more than once (see {@link PoolOptions.repeatable}); default: the pool's answer for the op. */
  readonly repeatable?: boolean;
  /** ms this job may wait in the queue (default: the pool's `queueTimeout`). */
  readonly queueTimeout?: number;
}

/** Resolved options. */
export interface PoolSettings {
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly queueTimeout: number;
  readonly requestTimeout: number;
  readonly retries: number;
  readonly repeatable: (op: string) => boolean;
  readonly staleLoad: number;
  readonly closeTimeout: number;
  readonly limits: PoolLimits;
  readonly broadcast: Required<BroadcastOptions>;
  readonly groups: GroupsOptions;
  readonly random: () => number;
}

/** Fills in defaults and checks ranges; throws RangeError naming a bad option. */
export function resolvePoolOptions(options: PoolOptions): PoolSettings {
  const l = options.limits ?? {};
  const concurrency = countOption(options.concurrency, 8, 'concurrency');
  if (concurrency < 1) throw new RangeError('concurrency must be an integer ≥ 1, got 0');
  const r = options.repeatable;
  let repeatable: (op: string) => boolean;
  if (typeof r === 'function') repeatable = r;
  else {
    const names = new Set(r ?? []);
    repeatable = (op) => names.has(op);
  }
  return {
    concurrency,
    maxQueue: countOption(options.maxQueue, 1024, 'maxQueue'),
    queueTimeout: msOption(options.queueTimeout, 0, 'queueTimeout'),
    requestTimeout: msOption(options.requestTimeout, DEFAULTS.requestTimeout, 'requestTimeout'),
    retries: countOption(options.retries, DEFAULTS.retries, 'retries'),
    repeatable,
    staleLoad: msOption(options.staleLoad, 5000, 'staleLoad'),
    closeTimeout: msOption(options.closeTimeout, DEFAULTS.closeTimeout, 'closeTimeout'),
    limits: {
      maxPayload: countOption(l.maxPayload, DEFAULT_LIMITS.maxPayload, 'limits.maxPayload'),
      maxJsonBytes: countOption(l.maxJsonBytes, DEFAULT_LIMITS.maxJsonBytes, 'limits.maxJsonBytes'),
      maxJsonDepth: countOption(l.maxJsonDepth, DEFAULT_LIMITS.maxJsonDepth, 'limits.maxJsonDepth'),
    },
    broadcast: broadcastSettings(options.broadcast),
    groups: options.groups ?? {},
    random: options.random ?? Math.random,
  };
}

/** A member's cap, checked. */
export function concurrencyOption(value: number | undefined, fallback: number): number {
  const c = countOption(value, fallback, 'concurrency');
  if (c < 1) throw new RangeError('concurrency must be an integer ≥ 1, got 0');
  return c;
}
