import type { Frame, OversizeFrame, ReplyFrame, RequestFrame, RequestId, StreamPartFrame, StreamRequestFrame } from '@gotalk/protocol';
import { replyEvent, requestEvent, type ActivityEvent } from './activity.ts';
import { PayloadTooLargeError, RetryLater } from './errors.ts';
import { retry, type BytesHandler, type HandlerContext, type Handlers, type OpEntry, type StreamHandler } from './handlers.ts';
import { isPromiseLike } from './maybe-async.ts';
import type { Settings } from './options.ts';
import { PartQueue } from './part-queue.ts';
import { concat, EMPTY, errorText, utf8 } from './payload.ts';
import type { Peer } from './peer.ts';

/** What the responder needs from its peer. */
export interface ResponderHost {
  readonly settings: Settings;
  readonly handlers: Handlers;
  readonly peer: Peer;
  /** Fires when the connection goes. */
  readonly signal: AbortSignal;
  send(frame: Frame): void;
  writable(): Promise<void>;
  readonly congested: boolean;
  congestion(on: boolean): void;
  readonly open: boolean;
  /** True once `close()` began: new requests are turned away with a retry result. */
  readonly closing: boolean;
  /** True while anyone listens to activity: events on the per-request path are built only then. */
  readonly watched: boolean;
  activity(event: ActivityEvent): void;
  /** Called whenever the last request being served finishes. */
  idle(): void;
}

/** The error texts the Go reference sends; peers in the wild match on them. */
export const ReplyText = {
  unknownOp: (op: string) => `unknown operation ${JSON.stringify(op)}`,
  streamsDisabled: 'stream requests not supported',
  rateLimit: 'request rate limit',
  closing: 'connection closing',
  idInUse: 'request id already in use',
} as const;

class Context implements HandlerContext {
  readonly #host: ResponderHost;
  constructor(
    host: ResponderHost,
    readonly op: string,
    readonly id: RequestId,
  ) {
    this.#host = host;
  }
  get peer(): Peer {
    return this.#host.peer;
  }
  /** Read lazily: the peer makes its AbortController only when a handler first asks. */
  get signal(): AbortSignal {
    return this.#host.signal;
  }
  retry(wait?: number, message?: string): never {
    return retry(wait, message);
  }
}

/** A handler's result as a payload to send: bytes within the payload limit, or an error to answer. */
function asBytes(value: unknown, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`handler returned ${value === null ? 'null' : typeof value}, not bytes`);
  if (value.length > max) throw new PayloadTooLargeError(value.length, max);
  return value;
}

/**
 * Serves the requests this peer receives: enforces the limits, runs handlers, and answers with
 * results, stream parts, error results or retry results. Never lets a handler's failure reach
 * the connection: every outcome becomes a reply frame.
 */
export class Responder {
  #singles = 0;
  readonly #streams = new Map<RequestId, PartQueue>();
  readonly #host: ResponderHost;

  constructor(host: ResponderHost) {
    this.#host = host;
  }

  /** Requests being served. */
  get busy(): number {
    return this.#singles + this.#streams.size;
  }

  request(frame: RequestFrame): void {
    const host = this.#host;
    if (host.watched) host.activity(requestEvent('in', frame));
    if (this.#turnAway(frame.id, this.#singles >= host.settings.limits.maxRequests)) return;
    const entry = host.handlers.lookup(frame.op);
    if (!entry) return this.#error(frame.id, ReplyText.unknownOp(frame.op));
    this.#singles++;
    const ctx = new Context(host, frame.op, frame.id);
    if (entry.kind === 'single') return this.#runSingle(entry.fn, frame.payload, ctx);
    const parts = this.#queue();
    if (frame.payload.length > 0) parts.push(frame.payload);
    parts.end();
    void this.#runStream(entry.fn, parts, ctx);
  }

  streamRequest(frame: StreamRequestFrame): void {
    const host = this.#host;
    const limits = host.settings.limits;
    if (host.watched) host.activity(requestEvent('in', frame));
    if (limits.maxStreams === 0) return this.#error(frame.id, ReplyText.streamsDisabled);
    if (this.#streams.has(frame.id)) return this.#error(frame.id, ReplyText.idInUse);
    if (this.#turnAway(frame.id, this.#streams.size >= limits.maxStreams)) return;
    const entry: OpEntry | undefined = host.handlers.lookup(frame.op);
    if (!entry) return this.#error(frame.id, ReplyText.unknownOp(frame.op));
    const parts = this.#queue();
    this.#streams.set(frame.id, parts);
    if (frame.payload.length > 0) parts.push(frame.payload);
    const ctx = new Context(host, frame.op, frame.id);
    if (entry.kind === 'stream') void this.#runStream(entry.fn, parts, ctx);
    else void this.#runCollected(entry.fn, parts, ctx);
  }

  /** A `p` frame: the next part of a stream being served; ignored for an unknown id. */
  part(frame: StreamPartFrame): void {
    const parts = this.#streams.get(frame.id);
    if (!parts) {
      this.#host.activity({ type: 'error', error: new Error('stream part for an unknown request ignored'), id: frame.id });
      return;
    }
    if (frame.payload.length === 0) parts.end();
    else parts.push(frame.payload);
  }

  /** A request or part whose payload was over the limit: answer that request with an error. */
  oversize(o: OversizeFrame): void {
    const error = new PayloadTooLargeError(o.size, this.#host.settings.limits.maxPayload);
    const { frame } = o;
    this.#host.activity({ type: 'error', error, ...('id' in frame ? { id: frame.id } : {}) });
    if (frame.type === 'r' || frame.type === 's') this.#error(frame.id, error.message);
    else if (frame.type === 'p') this.#streams.get(frame.id)?.fail(error);
  }

  /** The connection is gone: the inputs of running stream handlers fail with `error`. */
  failAll(error: Error): void {
    for (const parts of this.#streams.values()) parts.fail(error);
  }

  #queue(): PartQueue {
    return new PartQueue(this.#host.settings.limits.streamBuffer, (on) => this.#host.congestion(on));
  }

  /** Answers with a retry result when closing or over a limit; returns true if it did. */
  #turnAway(id: RequestId, overLimit: boolean): boolean {
    if (!this.#host.closing && !overLimit) return false;
    const [lo, hi] = this.#host.settings.limits.retryWait;
    const wait = lo + Math.floor(Math.random() * (hi - lo + 1));
    this.#reply({ type: 'e', id, wait, payload: utf8(this.#host.closing ? ReplyText.closing : ReplyText.rateLimit) });
    return true;
  }

  #runSingle(fn: BytesHandler, payload: Uint8Array, ctx: Context): void {
    let out;
    try {
      out = fn(payload, ctx);
    } catch (err) {
      return this.#finishSingle(ctx.id, null, err ?? new Error('handler failed'));
    }
    if (isPromiseLike(out)) {
      out.then(
        (p) => this.#finishSingle(ctx.id, p, null),
        (err: unknown) => this.#finishSingle(ctx.id, null, err ?? new Error('handler failed')),
      );
    } else {
      this.#finishSingle(ctx.id, out, null);
    }
  }

  #finishSingle(id: RequestId, result: unknown, error: unknown): void {
    this.#singles--;
    if (error === null) {
      try {
        const payload = asBytes(result, this.#host.settings.limits.maxPayload);
        this.#reply({ type: 'R', id, payload });
      } catch (err) {
        this.#failed(id, err);
      }
    } else {
      this.#failed(id, error);
    }
    this.#settled();
  }

  /** A single handler serving a stream request: its parts are joined first, within the payload limit. */
  async #runCollected(fn: BytesHandler, parts: PartQueue, ctx: Context): Promise<void> {
    try {
      const max = this.#host.settings.limits.maxPayload;
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const p of parts) {
        total += p.length;
        if (total > max) throw new PayloadTooLargeError(total, max);
        chunks.push(p);
      }
      this.#reply({ type: 'R', id: ctx.id, payload: asBytes(await fn(concat(chunks, total), ctx), max) });
    } catch (err) {
      this.#failed(ctx.id, err);
    } finally {
      this.#endStream(ctx.id, parts);
    }
  }

  async #runStream(fn: StreamHandler, parts: PartQueue, ctx: Context): Promise<void> {
    let sent = false;
    try {
      const result = await fn(parts, ctx);
      if (result instanceof Uint8Array) {
        this.#reply({ type: 'R', id: ctx.id, payload: asBytes(result, this.#host.settings.limits.maxPayload) });
        return;
      }
      if (result != null) {
        for await (const part of result) {
          if (!this.#host.open) return;
          if (asBytes(part, this.#host.settings.limits.maxPayload).length === 0) continue; // an empty S would end the result
          sent = true;
          this.#reply({ type: 'S', id: ctx.id, payload: part });
          if (this.#host.congested) await this.#host.writable();
        }
      }
      this.#reply({ type: 'S', id: ctx.id, payload: EMPTY });
    } catch (err) {
      // A retry result only makes sense before any part went out.
      this.#failed(ctx.id, sent && err instanceof RetryLater ? new Error(err.message) : err);
    } finally {
      if (this.#streams.get(ctx.id) === parts) this.#endStream(ctx.id, parts);
      else {
        parts.return();
        this.#singles--;
        this.#settled();
      }
    }
  }

  #endStream(id: RequestId, parts: PartQueue): void {
    parts.return(); // input the handler did not read is dropped, and its backpressure released
    this.#streams.delete(id);
    this.#settled();
  }

  #failed(id: RequestId, err: unknown): void {
    err ??= new Error('handler failed'); // a bare `throw null` / `throw undefined`
    if (err instanceof RetryLater) {
      this.#reply({ type: 'e', id, wait: err.wait, payload: utf8(err.message) });
    } else {
      if (this.#host.open) this.#host.activity({ type: 'error', error: err instanceof Error ? err : new Error(errorText(err)), id });
      this.#error(id, errorText(err));
    }
  }

  #error(id: RequestId, message: string): void {
    this.#reply({ type: 'E', id, payload: utf8(message) });
  }

  #reply(frame: ReplyFrame): void {
    if (!this.#host.open) return;
    this.#host.send(frame);
    if (this.#host.watched) this.#host.activity(replyEvent('out', frame));
  }

  #settled(): void {
    if (this.busy === 0) this.#host.idle();
  }
}
