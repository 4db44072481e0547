import type { ActivityEvent, Peer } from '@gotalk/peer';
import type { Server } from '../server.ts';

/** How a request ended, as {@link RequestStats} counts it. */
export type RequestOutcome = 'served' | 'failed';

/** One request a server answered: its op, how it ended, how long it took, and whose it was. */
export interface CompletedRequest {
  readonly op: string;
  readonly outcome: RequestOutcome;
  /** Ms from the request's arrival to its last reply frame. */
  readonly ms: number;
  readonly peer: Peer;
  /** A failed request's error, when its handler threw one (an unknown op has none). */
  readonly error?: string;
}

/**
 * Watches `server`'s activity and calls `onDone` for each request it answers: `served` when it
 * ended with a result (or a stream's end), `failed` with an error result; a retry result is
 * neither (the requestor asks again). A failure carries its handler's error message. What is tracked per connection is the requests in
 * flight, which the peer itself bounds (`maxRequests`, `maxStreams`). Returns the unsubscribe.
 */
export function trackRequests(server: Server, onDone: (request: CompletedRequest) => void, now: () => number = Date.now): () => void {
  const pending = new WeakMap<Peer, Map<number, { op: string; start: number; error?: string }>>();
  const onActivity = (peer: Peer, e: ActivityEvent) => {
    if (e.type === 'request' && e.dir === 'in') {
      let map = pending.get(peer);
      if (!map) pending.set(peer, (map = new Map()));
      map.set(e.id, { op: e.op, start: now() });
    } else if (e.type === 'reply' && e.dir === 'out' && e.kind !== 'part') {
      const map = pending.get(peer);
      const started = map?.get(e.id);
      if (!map || !started) return;
      map.delete(e.id);
      if (e.kind === 'retry') return;
      const ms = now() - started.start;
      if (e.kind !== 'error') onDone({ op: started.op, outcome: 'served', ms, peer });
      else onDone({ op: started.op, outcome: 'failed', ms, peer, ...(started.error !== undefined ? { error: started.error } : {}) });
    } else if (e.type === 'error' && e.id !== undefined) {
      // A handler's error comes just before its error result.
      const started = pending.get(peer)?.get(e.id);
      if (started) started.error = e.error.message;
    } else if (e.type === 'close') pending.delete(peer);
  };
  server.on('activity', onActivity);
  return () => void server.off('activity', onActivity);
}

/** Counts of one request name, as {@link RequestStats.snapshot} reports them. */
export interface RequestCounts {
  readonly served: number;
  readonly failed: number;
  /** Requests (served and failed) a second, over the last {@link RATE_WINDOW} seconds. */
  readonly perSecond: number;
}

/** Seconds over which {@link RequestCounts.perSecond} is averaged. */
export const RATE_WINDOW = 10;

/** Names counted apart, at most; requests of further names are counted under {@link OTHER}. */
export const MAX_NAMES = 200;

/** The name under which requests past {@link MAX_NAMES} names are counted. */
export const OTHER = '(other)';

interface Counter {
  served: number;
  failed: number;
  /** Requests in each of the last RATE_WINDOW seconds, by `second % RATE_WINDOW`. */
  readonly buckets: number[];
  /** The second each bucket counts. */
  readonly seconds: number[];
}

/**
 * Requests served and failed by name (an op, `GET /`…), with their recent rate. At most
 * {@link MAX_NAMES} names are kept, so that a peer asking for endless made-up op names
 * cannot grow it; further names share {@link OTHER}.
 */
export class RequestStats {
  readonly #counters = new Map<string, Counter>();

  /** `now` gives the time in ms (default `Date.now`; tests pass a fake clock). */
  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one request of `name` that ended with `outcome`. */
  record(name: string, outcome: RequestOutcome): void {
    const key = this.#counters.has(name) || this.#counters.size < MAX_NAMES ? name : OTHER;
    let c = this.#counters.get(key);
    if (!c)
      this.#counters.set(
        key,
        (c = { served: 0, failed: 0, buckets: new Array<number>(RATE_WINDOW).fill(0), seconds: new Array<number>(RATE_WINDOW).fill(-1) }),
      );
    c[outcome]++;
    const second = Math.floor(this.now() / 1000);
    const i = second % RATE_WINDOW;
    if (c.seconds[i] !== second) {
      c.seconds[i] = second;
      c.buckets[i] = 0;
    }
    c.buckets[i]!++;
  }

  /** The counts of every name seen, sorted by name. */
  snapshot(): Record<string, RequestCounts> {
    const second = Math.floor(this.now() / 1000);
    const out: Record<string, RequestCounts> = {};
    for (const name of [...this.#counters.keys()].sort()) {
      const c = this.#counters.get(name)!;
      let recent = 0;
      for (let i = 0; i < RATE_WINDOW; i++) if (second - c.seconds[i]! < RATE_WINDOW) recent += c.buckets[i]!;
      out[name] = { served: c.served, failed: c.failed, perSecond: recent / RATE_WINDOW };
    }
    return out;
  }
}
