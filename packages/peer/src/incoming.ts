import { isValidName, quoteName, type Frame, type OversizeFrame, type PayloadFrame, type ReplyFrame, type RequestFrame, type RequestId, type StreamPartFrame, type StreamRequestFrame } from '@gotalk/protocol';
import { replyEvent, requestEvent, type ActivityEvent } from './activity.ts';
import type { BudgetAccount } from './budget.ts';
import { ClosedError, GotalkError, PayloadTooLargeError, RetryLater } from './errors.ts';
import { retry, type BytesHandler, type HandlerContext, type Handlers, type OpEntry, type StreamHandler } from './handlers.ts';
import { isPromiseLike } from './maybe-async.ts';
import type { Limits } from './defaults.ts';
import type { Settings } from './options.ts';
import { PartQueue } from './part-queue.ts';
import { concat, EMPTY, errorText, utf8 } from './payload.ts';
import type { Connection } from './api.ts';

/** What the responder needs from its peer. */
export interface ResponderHost {
  readonly settings: Settings;
  readonly handlers: Handlers;
  readonly peer: Connection;
  /** Where this connection's held payloads count (a server's memory budget), or null. */
  readonly account: BudgetAccount | null;
  /** The CLOSED error saying why the connection ended. */
  closedError(): ClosedError;
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
  overBudget: 'server busy: memory budget reached',
  invalidName: (op: string) => `operation name is not valid UTF-8: ${quoteName(op)}`,
} as const;

/** The error of a payload the connection's memory budget could not hold: answered with a retry result. */
export function overBudget(size: number): GotalkError {
  return new GotalkError('OVER_BUDGET', `a payload of ${size} bytes does not fit in the memory budget`);
}

/** One request being served: what its handler sees, and its own abort signal, made on first use. */
class Context implements HandlerContext {
  readonly #responder: Responder;
  #controller: AbortController | null = null;
  constructor(
    responder: Responder,
    readonly op: string,
    readonly id: RequestId,
  ) {
    this.#responder = responder;
  }
  get peer(): Connection {
    return this.#responder.host.peer;
  }
  get limits(): Limits {
    return this.#responder.host.settings.limits;
  }
  /** Made when a handler first asks: most requests never need one. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      this.#responder.watching(this);
    }
    return this.#controller.signal;
  }
  retry(wait?: number, message?: string): never {
    return retry(wait, message);
  }
  /** Fires this request's signal (the connection went). */
  abort(reason: Error): void {
    this.#controller?.abort(reason);
  }
  /** The request is answered: its signal is no longer watched. */
  end(): void {
    if (this.#controller) this.#responder.unwatch(this);
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
  /** Ids of the single requests being served. */
  readonly #singles = new Set<RequestId>();
  readonly #streams = new Map<RequestId, PartQueue>();
  /** Requests whose handler asked for `ctx.signal`: fired when the connection goes. */
  readonly #signalled = new Set<Context>();
  /** @internal The peer, for the contexts. */
  readonly host: ResponderHost;

  constructor(host: ResponderHost) {
    this.host = host;
  }

  /** Requests being served. */
  get busy(): number {
    return this.#singles.size + this.#streams.size;
  }

  /** True while a stream request `id` is being served (its parts are wanted). */
  hasStream(id: RequestId): boolean {
    return this.#streams.has(id);
  }

  request(frame: RequestFrame): void {
    const host = this.host;
    const size = frame.payload.length;
    if (host.watched) host.activity(requestEvent('in', frame));
    if (this.#refuse(frame.id, frame.op, this.#singles.size >= host.settings.limits.maxRequests)) return this.#free(size);
    const entry = host.handlers.lookup(frame.op);
    if (!entry) {
      this.#free(size);
      return this.#error(frame.id, ReplyText.unknownOp(frame.op));
    }
    this.#singles.add(frame.id);
    const ctx = new Context(this, frame.op, frame.id);
    if (entry.kind === 'single') return this.#runSingle(entry.fn, frame.payload, ctx);
    const parts = this.#queue();
    if (size > 0) parts.push(frame.payload);
    parts.end();
    void this.#runStream(entry.fn, parts, ctx);
  }

  streamRequest(frame: StreamRequestFrame): void {
    const host = this.host;
    const limits = host.settings.limits;
    const size = frame.payload.length;
    if (host.watched) host.activity(requestEvent('in', frame));
    if (limits.maxStreams === 0) {
      this.#free(size);
      return this.#error(frame.id, ReplyText.streamsDisabled);
    }
    if (this.#refuse(frame.id, frame.op, this.#streams.size >= limits.maxStreams)) return this.#free(size);
    const entry: OpEntry | undefined = host.handlers.lookup(frame.op);
    if (!entry) {
      this.#free(size);
      return this.#error(frame.id, ReplyText.unknownOp(frame.op));
    }
    const parts = this.#queue();
    this.#streams.set(frame.id, parts);
    if (size > 0) parts.push(frame.payload);
    const ctx = new Context(this, frame.op, frame.id);
    if (entry.kind === 'stream') void this.#runStream(entry.fn, parts, ctx);
    else void this.#runCollected(entry.fn, parts, ctx);
  }

  /** A `p` frame: the next part of a stream being served; ignored for an unknown id. */
  part(frame: StreamPartFrame): void {
    const parts = this.#streams.get(frame.id);
    if (!parts) {
      this.#free(frame.payload.length);
      // Built only when watched: a flood of stray parts must not cost a stack trace each.
      if (this.host.watched) this.host.activity({ type: 'error', error: new Error('stream part for an unknown request ignored'), id: frame.id });
      return;
    }
    if (frame.payload.length === 0) parts.end();
    else parts.push(frame.payload);
  }

  /** A request or part whose payload was over the limit: answer that request with an error. */
  oversize(o: OversizeFrame): void {
    const error = new PayloadTooLargeError(o.size, this.host.settings.limits.maxPayload);
    const { frame } = o;
    this.host.activity({ type: 'error', error, ...('id' in frame ? { id: frame.id } : {}) });
    if (frame.type === 'r' || frame.type === 's') this.#error(frame.id, error.message);
    else if (frame.type === 'p') this.#streams.get(frame.id)?.fail(error);
  }

  /**
   * A request or part whose payload the memory budget could not hold (it was skipped): a new
   * request gets a retry result; a stream being served fails its input with `OVER_BUDGET`, which
   * its handler's failure answers with a retry result.
   */
  refused(frame: PayloadFrame, size: number): void {
    if (frame.type === 'p') {
      const parts = this.#streams.get(frame.id);
      if (!parts) return; // a part of no stream: it is ignored anyway
      const error = overBudget(size);
      this.host.activity({ type: 'error', error, id: frame.id });
      return parts.fail(error);
    }
    if (frame.type !== 'r' && frame.type !== 's') return;
    if (this.host.watched) {
      this.host.activity(requestEvent('in', frame));
      this.host.activity({ type: 'error', error: overBudget(size), id: frame.id, op: frame.op });
    }
    this.#retryResult(frame.id, ReplyText.overBudget);
  }

  /** The connection's input is gone: the inputs of running stream handlers fail with `error`. */
  failAll(error: Error): void {
    for (const parts of this.#streams.values()) parts.fail(error);
  }

  /** The connection is gone: every request's signal fires with `reason`. */
  abortAll(reason: Error): void {
    const contexts = [...this.#signalled];
    this.#signalled.clear();
    for (const ctx of contexts) ctx.abort(reason);
  }

  /** @internal A handler asked for its signal. */
  watching(ctx: Context): void {
    // Asked for after the connection went: it has already fired.
    if (!this.host.open) ctx.abort(this.host.closedError());
    else this.#signalled.add(ctx);
  }

  /** @internal */
  unwatch(ctx: Context): void {
    this.#signalled.delete(ctx);
  }

  #free(bytes: number): void {
    if (bytes > 0) this.host.account?.free(bytes);
  }

  #queue(): PartQueue {
    const account = this.host.account;
    return new PartQueue(this.host.settings.limits.streamBuffer, (on) => this.host.congestion(on), account ? (n) => account.free(n) : null);
  }

  /**
   * Answers a request that cannot be served: an error result for an id already in use or a name
   * that is not UTF-8, a retry result when closing or over a limit. Returns true if it did.
   */
  #refuse(id: RequestId, op: string, overLimit: boolean): boolean {
    if (this.#singles.has(id) || this.#streams.has(id)) {
      this.#error(id, ReplyText.idInUse);
      return true;
    }
    if (!isValidName(op)) {
      this.#error(id, ReplyText.invalidName(op));
      return true;
    }
    const closing = this.host.closing;
    if (!closing && !overLimit) return false;
    this.#retryResult(id, closing ? ReplyText.closing : ReplyText.rateLimit);
    return true;
  }

  /** A retry result with a random wait in `limits.retryWait`. */
  #retryResult(id: RequestId, message: string): void {
    const [lo, hi] = this.host.settings.limits.retryWait;
    const wait = lo + Math.floor(Math.random() * (hi - lo + 1));
    this.#reply({ type: 'e', id, wait, payload: utf8(message) });
  }

  #runSingle(fn: BytesHandler, payload: Uint8Array, ctx: Context): void {
    const size = payload.length;
    let out;
    try {
      out = fn(payload, ctx);
    } catch (err) {
      return this.#finishSingle(ctx, size, null, err ?? new Error('handler failed'));
    }
    if (isPromiseLike(out)) {
      out.then(
        (p) => this.#finishSingle(ctx, size, p, null),
        (err: unknown) => this.#finishSingle(ctx, size, null, err ?? new Error('handler failed')),
      );
    } else {
      this.#finishSingle(ctx, size, out, null);
    }
  }

  #finishSingle(ctx: Context, size: number, result: unknown, error: unknown): void {
    this.#singles.delete(ctx.id);
    this.#free(size);
    ctx.end();
    if (error === null) {
      try {
        const payload = asBytes(result, this.host.settings.limits.maxPayload);
        this.#reply({ type: 'R', id: ctx.id, payload });
      } catch (err) {
        this.#failed(ctx.id, err);
      }
    } else {
      this.#failed(ctx.id, error);
    }
    this.#settled();
  }

  /**
   * A single handler serving a stream request: its parts are joined first, within the payload
   * limit and, with a memory budget, held against it until the handler is done.
   */
  async #runCollected(fn: BytesHandler, parts: PartQueue, ctx: Context): Promise<void> {
    const account = this.host.account;
    let held = 0;
    try {
      const max = this.host.settings.limits.maxPayload;
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const p of parts) {
        total += p.length;
        if (total > max) throw new PayloadTooLargeError(total, max);
        if (account) {
          if (!account.take(p.length)) throw overBudget(p.length);
          held += p.length;
        }
        chunks.push(p);
      }
      this.#reply({ type: 'R', id: ctx.id, payload: asBytes(await fn(concat(chunks, total), ctx), max) });
    } catch (err) {
      this.#failed(ctx.id, err);
    } finally {
      account?.free(held);
      this.#endStream(ctx, parts);
    }
  }

  async #runStream(fn: StreamHandler, parts: PartQueue, ctx: Context): Promise<void> {
    let sent = false;
    try {
      const result = await fn(parts, ctx);
      if (result instanceof Uint8Array) {
        this.#reply({ type: 'R', id: ctx.id, payload: asBytes(result, this.host.settings.limits.maxPayload) });
        return;
      }
      if (result != null) {
        for await (const part of result) {
          if (!this.host.open) return;
          if (asBytes(part, this.host.settings.limits.maxPayload).length === 0) continue; // an empty S would end the result
          sent = true;
          this.#reply({ type: 'S', id: ctx.id, payload: part });
          if (this.host.congested) await this.host.writable();
        }
      }
      this.#reply({ type: 'S', id: ctx.id, payload: EMPTY });
    } catch (err) {
      // A retry result only makes sense before any part went out.
      this.#failed(ctx.id, sent && (err instanceof RetryLater || isOverBudget(err)) ? new Error((err as Error).message) : err);
    } finally {
      if (this.#streams.get(ctx.id) === parts) this.#endStream(ctx, parts);
      else {
        parts.return();
        this.#singles.delete(ctx.id);
        ctx.end();
        this.#settled();
      }
    }
  }

  #endStream(ctx: Context, parts: PartQueue): void {
    parts.return(); // input the handler did not read is dropped, and its backpressure released
    this.#streams.delete(ctx.id);
    ctx.end();
    this.#settled();
  }

  #failed(id: RequestId, err: unknown): void {
    err ??= new Error('handler failed'); // a bare `throw null` / `throw undefined`
    if (err instanceof RetryLater) {
      this.#reply({ type: 'e', id, wait: err.wait, payload: utf8(err.message) });
    } else if (isOverBudget(err)) {
      this.#retryResult(id, ReplyText.overBudget);
    } else {
      if (this.host.open) this.host.activity({ type: 'error', error: err instanceof Error ? err : new Error(errorText(err)), id });
      this.#error(id, errorText(err));
    }
  }

  #error(id: RequestId, message: string): void {
    this.#reply({ type: 'E', id, payload: utf8(message) });
  }

  #reply(frame: ReplyFrame): void {
    if (!this.host.open) return;
    this.host.send(frame);
    if (this.host.watched) this.host.activity(replyEvent('out', frame));
  }

  #settled(): void {
    if (this.busy === 0) this.host.idle();
  }
}

function isOverBudget(err: unknown): boolean {
  return err instanceof GotalkError && err.code === 'OVER_BUDGET';
}
