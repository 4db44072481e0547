import type { RequestId } from '@gotalk/protocol';
import type { Connection } from './api.ts';
import type { Limits } from './defaults.ts';
import { AbortedError } from './errors.ts';
import { retry, type HandlerContext } from './handlers.ts';
import type { PartQueue } from './part-queue.ts';

/** What a request being served needs from the responder serving it. */
export interface ContextHost {
  readonly peer: Connection;
  /** The peer's settings, whose limits the handler sees. */
  readonly settings: { readonly limits: Limits };
  /** A handler asked for its signal: fire it when the connection goes (or at once, if it has). */
  watch(ctx: RequestContext): void;
  /** The request is over: its signal need no longer be fired. */
  unwatch(ctx: RequestContext): void;
}

/**
 * One request being served: what its handler sees (`HandlerContext`), its input parts when it
 * is a stream request, and its own abort signal, made on first use. A request the requestor
 * cancelled (the cancel extension) is `cancelled`: its signal fires, its input fails with
 * `ABORTED`, and whatever its handler answers later is dropped.
 */
export class RequestContext implements HandlerContext {
  readonly #host: ContextHost;
  #controller: AbortController | null = null;
  /** The requestor gave up on this request: it is no longer answered. */
  cancelled = false;

  constructor(
    host: ContextHost,
    readonly op: string,
    readonly id: RequestId,
    /** Which limit it counts against: `maxStreams` (a stream request) or `maxRequests`. */
    readonly stream: boolean,
    /** Its input as parts: a stream request's, or a single request's served by a stream handler. */
    readonly parts: PartQueue | null,
  ) {
    this.#host = host;
  }

  get peer(): Connection {
    return this.#host.peer;
  }

  get data(): unknown {
    return this.#host.peer.data;
  }

  get limits(): Limits {
    return this.#host.settings.limits;
  }

  /** Made when a handler first asks: most requests never need one. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      this.#host.watch(this);
    }
    return this.#controller.signal;
  }

  retry(wait?: number, message?: string): never {
    return retry(wait, message);
  }

  /** Fires this request's signal with `reason` (the connection went, or the requestor cancelled). */
  abort(reason: Error): void {
    this.#controller?.abort(reason);
  }

  /** The requestor cancelled: the signal fires, the input fails, no answer will be sent. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const reason = new AbortedError(undefined, 'the requestor cancelled the request');
    this.parts?.fail(reason);
    this.abort(reason);
  }

  /** The request is over: its signal is no longer watched. */
  end(): void {
    if (this.#controller) this.#host.unwatch(this);
  }
}
