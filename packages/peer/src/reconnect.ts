/** How a client waits between reconnection attempts: exponential backoff with jitter. */
export interface ReconnectOptions {
  /** The shortest wait, in ms (default 250). */
  readonly minDelay?: number;
  /** The longest wait, in ms (default 10 000). */
  readonly maxDelay?: number;
  /** How much the longest wait of the next attempt grows (default 2). */
  readonly factor?: number;
}

/** {@link ReconnectOptions} with every field set. */
export type ReconnectPolicy = Required<ReconnectOptions>;

/** The defaults: 250 ms, growing ×2 per attempt up to 10 s. */
export const DEFAULT_RECONNECT: ReconnectPolicy = { minDelay: 250, maxDelay: 10_000, factor: 2 };

/** Fills in defaults and checks ranges; throws RangeError naming a bad option. */
export function reconnectPolicy(options: ReconnectOptions): ReconnectPolicy {
  const p = { ...DEFAULT_RECONNECT, ...options };
  if (!(p.minDelay >= 0 && p.maxDelay >= p.minDelay && p.factor >= 1 && p.maxDelay < Infinity)) {
    throw new RangeError(`reconnect needs 0 <= minDelay <= maxDelay < Infinity and factor >= 1, got ${JSON.stringify(options)}`);
  }
  return p;
}

/**
 * The wait before reconnection attempt `attempt` (1, 2, …), in ms: uniformly random ("full
 * jitter", so that the clients of a restarted server do not all come back at once) between
 * `minDelay` and a ceiling of `minDelay × factor^attempt` capped at `maxDelay`. With the
 * defaults: 250..500 ms, then 250..1000, 250..2000 … 250..10 000.
 */
export function reconnectDelay(attempt: number, policy: ReconnectPolicy, random: () => number = Math.random): number {
  const { minDelay, maxDelay, factor } = policy;
  const ceiling = Math.min(maxDelay, minDelay * factor ** attempt);
  return Math.round(minDelay + random() * (ceiling - minDelay));
}
