import { MAX_WIRE_PAYLOAD } from '@gotalk/protocol';
import type { ActivityListener, CloseInfo, CloseReason } from './activity.ts';
import type { Connection } from './api.ts';
import type { MemoryBudget } from './budget.ts';
import type { ClosedError, GotalkError } from './errors.ts';
import type { Handlers } from './handlers.ts';
import type { Middleware } from './middleware.ts';
import { DEFAULT_LIMITS, DEFAULTS, type Limits } from './defaults.ts';

/** Options of a peer. Every field is optional; `D` is the type of its `data`. */
export interface PeerOptions<D = unknown> {
  /** A shared handler registry (a server's); the peer's own `handlers` take precedence over it. */
  readonly handlers?: Handlers<D>;
  /** Middleware around every request and notification the peer serves, first outermost (see `peer.use()`). */
  readonly use?: readonly Middleware<D>[];
  readonly limits?: Partial<Limits>;
  /** Heartbeat period in ms (default 20 000); 0 sends none. One is also sent when the handshake completes. */
  readonly heartbeatInterval?: number;
  /**
   * Close with `f00000003` when nothing arrived for this long, in ms (default 120 000, which leaves room for browsers that throttle timers in background tabs; 0 never).
   * Armed only once the other side has sent a heartbeat (a peer that sends none, like a Go
   * server with its defaults, is never timed out), and never shorter than 3 of its observed
   * heartbeat intervals.
   */
  readonly idleTimeout?: number;
  /**
   * Close with `f00000003` when the other side has never sent a heartbeat and nothing arrived
   * for this long, in ms (default 0: never; servers default to 60 000). The Go reference client
   * and gotalk.js send their first heartbeat right after the handshake and one every 20 s, and
   * this peer one at the handshake, so they are never dropped by it; once a heartbeat arrived,
   * `idleTimeout` applies instead.
   */
  readonly silenceTimeout?: number;
  /** Close when the other side's version has not arrived after this many ms (default 10 000; 0 never). */
  readonly handshakeTimeout?: number;
  /**
   * What `ready` and the requests made before the handshake reject with when the connection ends
   * before the other side's version arrived, made from the `CLOSED` error they reject with
   * otherwise (its `cause` says why: `PROTOCOL_ERROR` for another version, `TIMEOUT` for
   * `handshakeTimeout`, the error given to `destroy()`, none when the other side hung up) and
   * the close reason. `connect()` of `@gotalk/node` gives one, so that they reject with its
   * `CONNECT_FAILED` or `CONNECT_TIMEOUT`. If it throws, they reject with the `CLOSED` error.
   */
  readonly handshakeError?: (closed: ClosedError, reason: CloseReason) => GotalkError;
  /** How long `close()` lets in-flight requests finish, in ms (default 5 000). */
  readonly closeTimeout?: number;
  /** Default timeout of single requests, in ms (default 30 000; 0 none). Streams have none unless given per call. */
  readonly requestTimeout?: number;
  /** Default number of retries after retry results (default 3). */
  readonly retries?: number;
  /** The load sent in heartbeats, 0..0xffff; by default derived from the requests being served. */
  readonly load?: () => number;
  /** Receives activity events (see {@link ActivityEvent}). */
  readonly onActivity?: ActivityListener;
  /**
   * Called once when the connection is gone, with the connection and what `closed` resolves
   * with, in a microtask of its own, before anything awaiting `closed` runs. One function can
   * serve every connection of a server, where a `closed.then(…)` each would hold a promise and a
   * closure per connection. Something it throws is uncaught, as in a microtask.
   */
  readonly onClose?: (connection: Connection<D>, info: CloseInfo) => void;
  /** Anything the application wants to keep with the connection (an accept hook's result, say). */
  readonly data?: D;
  /**
   * A memory budget shared with other connections (a server's): payloads held for handlers and
   * replies not yet sent count against it, and requests that do not fit get retry results.
   */
  readonly budget?: MemoryBudget;
}

/** Resolved options, every field set. */
export interface Settings {
  readonly limits: Limits;
  readonly heartbeatInterval: number;
  readonly idleTimeout: number;
  readonly silenceTimeout: number;
  readonly handshakeTimeout: number;
  readonly closeTimeout: number;
  readonly requestTimeout: number;
  readonly retries: number;
}

/** The longest delay timers honour (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_DELAY = 0x7fffffff;

/**
 * A duration option: `value`, or `fallback` when undefined. Throws RangeError naming the option
 * unless it is a number of ms in `min`..2^31-1 (a longer timer would fire at once).
 */
export function msOption(value: number | undefined, fallback: number, name: string, min = 0): number {
  const v = value ?? fallback;
  if (!(typeof v === 'number' && v >= min && v <= MAX_DELAY)) throw new RangeError(`${name} must be a number of ms in ${min}..${MAX_DELAY}, got ${v}`);
  return v;
}

/** A count option: `value`, or `fallback` when undefined. Throws RangeError naming the option unless it is an integer in 0..`max`. */
export function countOption(value: number | undefined, fallback: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${name} must be an integer in 0..${max}, got ${v}`);
  return v;
}

/**
 * Checks peer options without making a peer: throws the RangeError naming a bad option that
 * `new Peer` would throw. For code that makes peers later (a server, a reconnecting client).
 */
export function checkPeerOptions(options: PeerOptions): void {
  resolveSettings(options);
}

/** The limits `options` give a peer, defaults filled in; throws the RangeError naming a bad option that `new Peer` would throw. */
export function resolveLimits(options: PeerOptions): Limits {
  return resolveSettings(options).limits;
}

/** The limits that are counts, each checked the same way (`maxPayload` also against the wire's maximum). */
const COUNT_LIMITS = ['maxRequests', 'maxStreams', 'maxPayload', 'streamBuffer', 'maxBacklog', 'maxJsonBytes', 'maxJsonDepth'] as const;

/** The options that are durations in ms. */
const DURATIONS = ['heartbeatInterval', 'idleTimeout', 'silenceTimeout', 'handshakeTimeout', 'closeTimeout', 'requestTimeout'] as const;

/** The values the last settings were resolved from, and those settings (see {@link resolveSettings}). */
let last: { readonly inputs: readonly unknown[]; readonly settings: Settings } | null = null;

/**
 * Fills in defaults and checks ranges; throws RangeError naming a bad option. Options that give
 * the same values as the last call give the same (read-only) Settings object: a server's
 * connections, made from one set of options, share one instead of holding a copy each.
 */
export function resolveSettings(options: PeerOptions): Settings {
  const l = options.limits ?? {};
  const wait = l.retryWait;
  // Every value read, as read: equal values validate alike (a retryWait that is not an array never is cached).
  const inputs = [
    options.retries,
    wait === undefined ? 0 : Array.isArray(wait) ? 1 : 2,
    wait?.[0],
    wait?.[1],
    ...DURATIONS.map((k) => options[k]),
    ...COUNT_LIMITS.map((k) => l[k]),
  ];
  const prev = last;
  if (prev !== null && inputs.every((v, i) => v === prev.inputs[i])) return prev.settings;
  last = { inputs, settings: resolveAfresh(options) };
  return last.settings;
}

function resolveAfresh(options: PeerOptions): Settings {
  const l = options.limits ?? {};
  const retryWait = l.retryWait ?? DEFAULT_LIMITS.retryWait;
  const bad = (got: string) => new RangeError(`limits.retryWait must be integers [min, max] with 0 <= min <= max, got ${got}`);
  if (!Array.isArray(retryWait)) throw bad(String(retryWait));
  const [lo, hi] = retryWait;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi >= lo && hi <= 0xffffffff)) throw bad(`[${lo}, ${hi}]`);
  const limits: Record<string, unknown> = { retryWait: [lo, hi] };
  for (const k of COUNT_LIMITS) limits[k] = countOption(l[k], DEFAULT_LIMITS[k], `limits.${k}`, k === 'maxPayload' ? MAX_WIRE_PAYLOAD : undefined);
  const settings: Record<string, unknown> = { limits, retries: countOption(options.retries, DEFAULTS.retries, 'retries') };
  for (const k of DURATIONS) settings[k] = msOption(options[k], DEFAULTS[k], k);
  return settings as unknown as Settings;
}
