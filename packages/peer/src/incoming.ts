import {
  isValidName,
  quoteName,
  type Frame,
  type OversizeFrame,
  type PayloadFrame,
  type ReplyFrame,
  type RequestFrame,
  type RequestId,
  type StreamPartFrame,
  type StreamRequestFrame,
} from '@gotalk/protocol';
import { replyEvent, requestEvent, type ActivityEvent } from './activity.ts';
import type { BudgetAccount } from './budget.ts';
import { ClosedError, GotalkError, PayloadTooLargeError, RetryLater } from './errors.ts';
import type { BytesHandler, Handlers, OpEntry, StreamHandler } from './handlers.ts';
import { withHooks, type Middleware } from './middleware.ts';
import { isPromiseLike } from './maybe-async.ts';
import type { Settings } from './options.ts';
import { PartQueue } from './part-queue.ts';
import { concat, EMPTY, errorText, utf8 } from './payload.ts';
import type { Connection } from './api.ts';
import { errorPayload } from './remote-errors.ts';
import { RequestContext, type ContextHost } from './request-context.ts';

/** What the responder needs from its peer. */
export interface ResponderHost {
  readonly settings: Settings;
  readonly handlers: Handlers;
  /** The peer's own middleware, run outside each registry's. */
  readonly hooks: readonly Middleware[];
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
  /** The answer to a request for an operation this side does not serve (the reference's words). */
  unknownOp: (op: string) => `unknown operation ${JSON.stringify(op)}`,
  streamsDisabled: 'stream requests not supported',
  rateLimit: 'request rate limit',
  closing: 'connection closing',
  idInUse: 'request id already in use',
  overBudget: 'server busy: memory budget reached',
  /** The answer to a request whose name is not valid UTF-8, with its bytes escaped. */
  invalidName: (op: string) => `operation name is not valid UTF-8: ${quoteName(op)}`,
} as const;

/** The error of a payload the connection's memory budget could not hold: answered with a retry result. */
export function overBudget(size: number): GotalkError {
  return new GotalkError('OVER_BUDGET', `a payload of ${size} bytes does not fit in the memory budget`);
}

/** A handler's result as a payload to send: bytes within the payload limit, or an error to answer. */
function asBytes(value: unknown, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`handler returned ${value === null ? 'null' : typeof value}, not bytes`);
  if (value.length > max) throw new PayloadTooLargeError(value.length, max);
  return value;
}

/** What every responder that has served nothing holds as its requests: empty, and never written (reads, delete and clear are safe on it). */
const NOT_SERVING: Map<RequestId, RequestContext> = new Map();

/**
 * Serves the requests this peer receives: enforces the limits, runs handlers, and answers with
 * results, stream parts, error results or retry results. Never lets a handler's failure reach
 * the connection: every outcome becomes a reply frame.
 */
export class Responder implements ContextHost {
  /**
   * The requests being served that may still be answered, by id (a cancelled one leaves at once).
   * The shared empty map until the first (an idle connection holds none); written only by #begin.
   */
  #serving: Map<RequestId, RequestContext> = NOT_SERVING;
  /** Handlers running, single and stream (a cancelled one counts until it returns). */
  #singles = 0;
  #streams = 0;
  /** Requests whose handler asked for `ctx.signal`: fired when the connection goes. */
  /** Made on first use (most connections never watch a signal). */
  #signalled: Set<RequestContext> | null = null;
  readonly #host: ResponderHost;
  // The contexts' host (ContextHost) is this responder itself: fields and methods, no closures.
  readonly peer: Connection;
  readonly settings: Settings;

  constructor(host: ResponderHost) {
    this.#host = host;
    this.peer = host.peer;
    this.settings = host.settings;
  }

  /** A handler asked for its signal (ContextHost): fired when the connection goes, or at once if it has. */
  watch(ctx: RequestContext): void {
    if (!this.#host.open) ctx.abort(this.#host.closedError());
    else (this.#signalled ??= new Set()).add(ctx);
  }

  /** The request is over (ContextHost): its signal need no longer be fired. */
  unwatch(ctx: RequestContext): void {
    this.#signalled?.delete(ctx);
  }

  /** Handlers running (a cancelled request's too, until its handler returns). */
  get busy(): number {
    return this.#singles + this.#streams;
  }

  /** True while a stream request `id` is being served (its parts are wanted). */
  hasStream(id: RequestId): boolean {
    return this.#serving.get(id)?.stream === true;
  }

  request(frame: RequestFrame): void {
    const host = this.#host;
    const size = frame.payload.length;
    if (host.watched) host.activity(requestEvent('in', frame));
    if (this.#refuse(frame.id, frame.op, this.#singles >= host.settings.limits.maxRequests)) return this.#free(size);
    const entry = this.#lookup(frame.op);
    if (!entry) {
      this.#free(size);
      return this.#error(frame.id, ReplyText.unknownOp(frame.op));
    }
    this.#singles++;
    if (entry.kind === 'single') return this.#runSingle(entry.fn, frame.payload, this.#begin(frame.id, frame.op, false, null));
    const parts = this.#queue();
    if (size > 0) parts.push(frame.payload);
    parts.end();
    void this.#runStream(entry.fn, this.#begin(frame.id, frame.op, false, parts));
  }

  streamRequest(frame: StreamRequestFrame): void {
    const host = this.#host;
    const limits = host.settings.limits;
    const size = frame.payload.length;
    if (host.watched) host.activity(requestEvent('in', frame));
    if (limits.maxStreams === 0) {
      this.#free(size);
      return this.#error(frame.id, ReplyText.streamsDisabled);
    }
    if (this.#refuse(frame.id, frame.op, this.#streams >= limits.maxStreams)) return this.#free(size);
    const entry = this.#lookup(frame.op);
    if (!entry) {
      this.#free(size);
      return this.#error(frame.id, ReplyText.unknownOp(frame.op));
    }
    this.#streams++;
    const parts = this.#queue();
    if (size > 0) parts.push(frame.payload);
    const ctx = this.#begin(frame.id, frame.op, true, parts);
    if (entry.kind === 'stream') void this.#runStream(entry.fn, ctx);
    else void this.#runCollected(entry.fn, ctx);
  }

  /** The handler of `op` with its middleware around it. */
  #lookup(op: string): OpEntry | undefined {
    const entry = this.#host.handlers.lookup(op);
    return entry && withHooks(entry, this.#host.hooks);
  }

  /** A `p` frame: the next part of a stream being served; ignored for an unknown id. */
  part(frame: StreamPartFrame): void {
    const ctx = this.#serving.get(frame.id);
    if (!ctx?.stream) {
      this.#free(frame.payload.length);
      // Built only when watched: a flood of stray parts must not cost a stack trace each.
      if (this.#host.watched) this.#host.activity({ type: 'error', error: new Error('stream part for an unknown request ignored'), id: frame.id });
      return;
    }
    if (frame.payload.length === 0) ctx.parts!.end();
    else ctx.parts!.push(frame.payload);
  }

  /**
   * The requestor gave up on request `id` (the cancel extension): its signal fires, its stream
   * input fails with `ABORTED`, and nothing more is sent for it; the id is free for a new
   * request at once. An id not being served (unknown, already answered) is ignored.
   */
  cancel(id: RequestId): void {
    const ctx = this.#serving.get(id);
    if (!ctx) return;
    this.#serving.delete(id);
    ctx.cancel();
  }

  /** A request or part whose payload was over the limit: answer that request with an error. */
  oversize(o: OversizeFrame): void {
    const error = new PayloadTooLargeError(o.size, this.#host.settings.limits.maxPayload);
    const { frame } = o;
    this.#host.activity({ type: 'error', error, ...('id' in frame ? { id: frame.id } : {}) });
    if (frame.type === 'r' || frame.type === 's') this.#error(frame.id, error.message);
    else if (frame.type === 'p') this.#streamParts(frame.id)?.fail(error);
  }

  /**
   * A request or part whose payload the memory budget could not hold (it was skipped): a new
   * request gets a retry result; a stream being served fails its input with `OVER_BUDGET`, which
   * its handler's failure answers with a retry result.
   */
  refused(frame: PayloadFrame, size: number): void {
    if (frame.type === 'p') {
      const parts = this.#streamParts(frame.id);
      if (!parts) return; // a part of no stream: it is ignored anyway
      const error = overBudget(size);
      this.#host.activity({ type: 'error', error, id: frame.id });
      return parts.fail(error);
    }
    if (frame.type !== 'r' && frame.type !== 's') return;
    if (this.#host.watched) {
      this.#host.activity(requestEvent('in', frame));
      this.#host.activity({ type: 'error', error: overBudget(size), id: frame.id, op: frame.op });
    }
    this.#retryResult(frame.id, ReplyText.overBudget);
  }

  /** The connection's input is gone: the inputs of running stream handlers fail with `error`. */
  failAll(error: Error): void {
    for (const ctx of this.#serving.values()) if (ctx.stream) ctx.parts!.fail(error);
  }

  /** The connection is gone: every request's signal fires with `reason`. */
  abortAll(reason: Error): void {
    const contexts = this.#signalled ? [...this.#signalled] : [];
    this.#signalled = null;
    for (const ctx of contexts) ctx.abort(reason);
  }

  #begin(id: RequestId, op: string, stream: boolean, parts: PartQueue | null): RequestContext {
    const ctx = new RequestContext(this, op, id, stream, parts);
    if (this.#serving === NOT_SERVING) this.#serving = new Map();
    this.#serving.set(id, ctx);
    return ctx;
  }

  /** The handler of `ctx` returned: its slot is free, its id too (unless it was cancelled and reused). */
  #done(ctx: RequestContext): void {
    if (this.#serving.get(ctx.id) === ctx) this.#serving.delete(ctx.id);
    if (ctx.stream) this.#streams--;
    else this.#singles--;
    void ctx.parts?.return(); // input the handler did not read is dropped, and its backpressure released
    ctx.end();
    if (this.busy === 0) this.#host.idle();
  }

  #streamParts(id: RequestId): PartQueue | null {
    const ctx = this.#serving.get(id);
    return ctx?.stream ? ctx.parts : null;
  }

  #free(bytes: number): void {
    if (bytes > 0) this.#host.account?.free(bytes);
  }

  #queue(): PartQueue {
    const account = this.#host.account;
    return new PartQueue(this.#host.settings.limits.streamBuffer, (on) => this.#host.congestion(on), account ? (n) => account.free(n) : null);
  }

  /**
   * Answers a request that cannot be served: an error result for an id already in use or a name
   * that is not UTF-8, a retry result when closing or over a limit. Returns true if it did.
   */
  #refuse(id: RequestId, op: string, overLimit: boolean): boolean {
    if (this.#serving.has(id)) {
      this.#error(id, ReplyText.idInUse);
      return true;
    }
    if (!isValidName(op)) {
      this.#error(id, ReplyText.invalidName(op));
      return true;
    }
    const closing = this.#host.closing;
    if (!closing && !overLimit) return false;
    this.#retryResult(id, closing ? ReplyText.closing : ReplyText.rateLimit);
    return true;
  }

  /** A retry result with a random wait in `limits.retryWait`. */
  #retryResult(id: RequestId, message: string): void {
    const [lo, hi] = this.#host.settings.limits.retryWait;
    const wait = lo + Math.floor(Math.random() * (hi - lo + 1));
    this.#reply({ type: 'e', id, wait, payload: utf8(message) });
  }

  #runSingle(fn: BytesHandler, payload: Uint8Array, ctx: RequestContext): void {
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

  #finishSingle(ctx: RequestContext, size: number, result: unknown, error: unknown): void {
    this.#free(size);
    if (!ctx.cancelled) {
      if (error === null) {
        try {
          this.#reply({ type: 'R', id: ctx.id, payload: asBytes(result, this.#host.settings.limits.maxPayload) });
        } catch (err) {
          this.#failed(ctx.id, err);
        }
      } else {
        this.#failed(ctx.id, error);
      }
    }
    this.#done(ctx);
  }

  /**
   * A single handler serving a stream request: its parts are joined first, within the payload
   * limit and, with a memory budget, held against it until the handler is done.
   */
  async #runCollected(fn: BytesHandler, ctx: RequestContext): Promise<void> {
    const account = this.#host.account;
    let held = 0;
    try {
      const max = this.#host.settings.limits.maxPayload;
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const p of ctx.parts!) {
        total += p.length;
        if (total > max) throw new PayloadTooLargeError(total, max);
        if (account) {
          if (!account.take(p.length)) throw overBudget(p.length);
          held += p.length;
        }
        chunks.push(p);
      }
      const result = asBytes(await fn(concat(chunks, total), ctx), max);
      if (!ctx.cancelled) this.#reply({ type: 'R', id: ctx.id, payload: result });
    } catch (err) {
      if (!ctx.cancelled) this.#failed(ctx.id, err);
    } finally {
      account?.free(held);
      this.#done(ctx);
    }
  }

  async #runStream(fn: StreamHandler, ctx: RequestContext): Promise<void> {
    let sent = false;
    try {
      const result = await fn(ctx.parts!, ctx);
      if (ctx.cancelled) return;
      if (result instanceof Uint8Array) {
        this.#reply({ type: 'R', id: ctx.id, payload: asBytes(result, this.#host.settings.limits.maxPayload) });
        return;
      }
      if (result != null) {
        for await (const part of result) {
          // Leaving the loop tells the producer to stop (its return()): nobody reads what it makes.
          if (!this.#host.open || ctx.cancelled) return;
          if (asBytes(part, this.#host.settings.limits.maxPayload).length === 0) continue; // an empty S would end the result
          sent = true;
          this.#reply({ type: 'S', id: ctx.id, payload: part });
          if (this.#host.congested) await this.#host.writable();
        }
      }
      if (!ctx.cancelled) this.#reply({ type: 'S', id: ctx.id, payload: EMPTY });
    } catch (err) {
      // A retry result only makes sense before any part went out.
      if (!ctx.cancelled) this.#failed(ctx.id, sent && (err instanceof RetryLater || isOverBudget(err)) ? new Error((err as Error).message) : err);
    } finally {
      this.#done(ctx);
    }
  }

  #failed(id: RequestId, err: unknown): void {
    err ??= new Error('handler failed'); // a bare `throw null` / `throw undefined`
    if (err instanceof RetryLater) {
      this.#reply({ type: 'e', id, wait: err.wait, payload: utf8(err.message) });
    } else if (isOverBudget(err)) {
      this.#retryResult(id, ReplyText.overBudget);
    } else {
      if (this.#host.open) this.#host.activity({ type: 'error', error: err instanceof Error ? err : new Error(errorText(err)), id });
      this.#reply({ type: 'E', id, payload: errorPayload(errorText(err), err) });
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
}

function isOverBudget(err: unknown): boolean {
  return err instanceof GotalkError && err.code === 'OVER_BUDGET';
}
