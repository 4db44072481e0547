import type { Connection } from './api.ts';
import type { BytesHandler, HandlerContext, NotificationContext, NotificationHandler, OpEntry, StreamHandler } from './handlers.ts';
import { fromJson, toJson } from './payload.ts';

/**
 * An incoming request or notification as middleware sees it, before its handler runs. What a
 * hook sees of a stream request is its start: the op, the connection and its data; its parts
 * are left to the handler (a hook never buffers a stream).
 */
export interface IncomingCall<D = unknown> {
  /** `request` (one payload), `stream` (served by a stream handler; no payload here) or `notification`. */
  readonly kind: 'request' | 'stream' | 'notification';
  /** The op, or the notification's name. */
  readonly op: string;
  /** The connection it came on. */
  readonly peer: Connection<D>;
  /** The connection's data (an accept hook's result, say). */
  readonly data: D;
  /** The raw payload of a request or notification; undefined for a stream. */
  readonly payload: Uint8Array | undefined;
  /**
   * The payload as JSON, parsed on first read within the connection's limits (a failure throws,
   * which answers an error result); undefined for a stream.
   */
  readonly input: unknown;
  /** The handler's context (a request or stream) or the notification's. */
  readonly ctx: HandlerContext<D> | NotificationContext<D>;
}

/**
 * A hook around incoming requests and notifications. Continue with `return next()` (for a
 * request it resolves with the result's bytes, for a stream with what the stream handler
 * produced; wrap them to measure or change them). Answer by returning without calling `next`:
 * bytes are sent as they are, any other value as JSON (a stream: what a stream handler may
 * return). Refuse by throwing: a `RemoteError` with a code answers a structured error result,
 * `RetryLater` a retry result; for a notification the handler is skipped and the error reported
 * as activity. `next` may be called once.
 */
export type Middleware<D = unknown> = (call: IncomingCall<D>, next: () => Promise<unknown>) => unknown;

class Call implements IncomingCall {
  #input: { value: unknown } | null = null;

  constructor(
    readonly kind: 'request' | 'stream' | 'notification',
    readonly op: string,
    readonly ctx: HandlerContext | NotificationContext,
    readonly payload: Uint8Array | undefined,
  ) {}

  get peer(): Connection {
    return this.ctx.peer;
  }

  get data(): unknown {
    return this.ctx.peer.data;
  }

  get input(): unknown {
    if (this.payload === undefined) return undefined;
    this.#input ??= { value: fromJson(this.payload, this.ctx.limits) };
    return this.#input.value;
  }
}

/** Runs `outer` then `inner` hooks around `last`, in order (the first is outermost). */
function run(outer: readonly Middleware[], inner: readonly Middleware[], call: Call, last: () => unknown): Promise<unknown> {
  const n = outer.length + inner.length;
  let reached = -1;
  const step = (i: number): Promise<unknown> =>
    new Promise((resolve) => {
      if (i <= reached) throw new Error(`middleware called next() twice for "${call.op}"`);
      reached = i;
      resolve(i === n ? last() : (i < outer.length ? outer[i]! : inner[i - outer.length]!)(call, () => step(i + 1)));
    });
  return step(0);
}

const asPayload = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : toJson(v));

/**
 * `entry` with the peer's hooks (`outer`) and its registry's (`entry.hooks`) around its
 * handler; `entry` itself when there are none.
 */
export function withHooks(entry: OpEntry, outer: readonly Middleware[]): OpEntry {
  const inner = entry.hooks ?? [];
  if (outer.length === 0 && inner.length === 0) return entry;
  if (entry.kind === 'single') {
    const fn = entry.fn;
    const hooked: BytesHandler = (payload, ctx) => run(outer, inner, new Call('request', ctx.op, ctx, payload), () => fn(payload, ctx)).then(asPayload);
    return { kind: 'single', fn: hooked };
  }
  const fn = entry.fn;
  const hooked: StreamHandler = (parts, ctx) => run(outer, inner, new Call('stream', ctx.op, ctx, undefined), () => fn(parts, ctx)) as never;
  return { kind: 'stream', fn: hooked };
}

/** A notification handler with the peer's hooks (`outer`) and its registry's (`inner`) around it. */
export function notificationWithHooks(fn: NotificationHandler, inner: readonly Middleware[], outer: readonly Middleware[]): NotificationHandler {
  if (outer.length === 0 && inner.length === 0) return fn;
  return (payload, ctx) => run(outer, inner, new Call('notification', ctx.name, ctx, payload), () => fn(payload, ctx)).then(() => {});
}
