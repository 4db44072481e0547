import type { RequestId } from '@gotalk/protocol';
import { GotalkError, RetryLater } from './errors.ts';
import { andThen, type MaybePromise } from './maybe-async.ts';
import type { NotificationType, Operation, StreamOperation } from './operation.ts';
import type { Limits } from './defaults.ts';
import { fromJson, toJson } from './payload.ts';
import type { Connection } from './api.ts';
import { validate, type InputOf, type OutputOf, type StandardSchemaV1 } from './schema.ts';

/** What every handler gets besides its input. */
export interface HandlerContext {
  /** The connection the request came on: call the other side back through it. */
  readonly peer: Connection;
  /** The operation name as requested. */
  readonly op: string;
  /** The request id (4 wire bytes as a uint32). */
  readonly id: RequestId;
  /** This request's own signal: fires when the connection goes away; long handlers should stop then. */
  readonly signal: AbortSignal;
  /** The limits of this connection (the JSON helpers parse within them). */
  readonly limits: Limits;
  /** Answers with a retry result instead: the requestor tries again after `wait` ms. Never returns. */
  retry(wait?: number, message?: string): never;
}

/** What a notification handler gets besides its payload. */
export interface NotificationContext {
  /** The connection the notification came on. */
  readonly peer: Connection;
  readonly name: string;
  /** The limits of this connection (the JSON helpers parse within them). */
  readonly limits: Limits;
}

/** A handler answering one payload with one payload. Throw to answer an error result. */
export type BytesHandler = (payload: Uint8Array, ctx: HandlerContext) => MaybePromise<Uint8Array>;

/**
 * What a stream handler may produce: parts as an iterable or async iterable (each non-empty
 * part becomes an `S` frame, then an empty `S` ends the result), or one payload (an `R`). A
 * yielded part is handed over: large parts are written out later without a copy, so do not
 * change its bytes after yielding it.
 */
export type StreamResult = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** A handler receiving a stream of parts (a single request arrives as one part). */
export type StreamHandler = (parts: AsyncIterable<Uint8Array>, ctx: HandlerContext) => MaybePromise<StreamResult>;

/** A handler for an op with no registered handler; `ctx.op` names it. */
export type FallbackHandler = BytesHandler;

/** A notification handler; errors it throws are reported as activity, never sent. */
export type NotificationHandler = (payload: Uint8Array, ctx: NotificationContext) => MaybePromise<void>;

/** How the peer runs a registered op. */
export type OpEntry = { readonly kind: 'single'; readonly fn: BytesHandler } | { readonly kind: 'stream'; readonly fn: StreamHandler };

/** A JSON input within the connection's limits; a failure answers an error result saying why. */
function parseJson(payload: Uint8Array, limits: Limits): unknown {
  try {
    return fromJson(payload, limits);
  } catch (err) {
    if (err instanceof GotalkError) throw err;
    throw new Error(`invalid JSON input: ${(err as Error).message}`);
  }
}

async function* mapParts<T>(parts: AsyncIterable<Uint8Array>, fn: (p: Uint8Array) => MaybePromise<T>): AsyncIterable<T> {
  for await (const p of parts) yield await fn(p);
}

async function* encodeParts<T>(values: Iterable<T> | AsyncIterable<T>, fn: (v: T) => MaybePromise<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const v of values) yield await fn(v);
}

/**
 * A routing table of operations and notifications. One registry can serve many connections
 * (a server's), and each peer has its own whose entries take precedence over a shared parent.
 * Registering a name again replaces its handler.
 */
export class Handlers {
  readonly #ops = new Map<string, OpEntry>();
  readonly #notifications = new Map<string, NotificationHandler>();
  #fallbackFn: FallbackHandler | undefined;
  #notificationFallbackFn: NotificationHandler | undefined;

  /** `parent` is consulted for names this registry does not have. */
  constructor(readonly parent?: Handlers) {}

  /** Handles `op` with raw bytes in and out. */
  handleBytes(op: string, fn: BytesHandler): this {
    this.#ops.set(op, { kind: 'single', fn });
    return this;
  }

  /** Handles `op` with JSON in and out. Bad JSON input answers an error result; `undefined` answers `null`. */
  handle(op: string, fn: (value: unknown, ctx: HandlerContext) => unknown): this {
    return this.handleBytes(op, (payload, ctx) => andThen(fn(parseJson(payload, ctx.limits), ctx), toJson));
  }

  /** Handles `op` as a stream of byte parts; see {@link StreamResult} for what it may answer. */
  handleStream(op: string, fn: StreamHandler): this {
    this.#ops.set(op, { kind: 'stream', fn });
    return this;
  }

  /**
   * Implements a typed operation. Input is validated before `fn` runs (a failure answers an
   * error result naming the wrong fields) and `fn`'s output is validated before it is sent.
   */
  implement<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: Operation<I, O>,
    fn: (input: OutputOf<I>, ctx: HandlerContext) => MaybePromise<InputOf<O>>,
  ): this;
  /** Implements a typed streaming operation: each input part is validated, each output part too. */
  implement<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: StreamOperation<I, O>,
    fn: (inputs: AsyncIterable<OutputOf<I>>, ctx: HandlerContext) => Iterable<InputOf<O>> | AsyncIterable<InputOf<O>>,
  ): this;
  implement(operation: Operation | StreamOperation, fn: (input: never, ctx: HandlerContext) => unknown): this {
    const { input, output } = operation;
    // Checked, but the handler's value is sent as is: the requestor parses it with the same schema
    // (sending the parsed value would apply transforms twice).
    const outputPart = (v: unknown) => andThen(validate(output, v, 'output'), () => toJson(v));
    if (operation.kind === 'operation') {
      const call = fn as (input: unknown, ctx: HandlerContext) => unknown;
      return this.handleBytes(operation.name, (payload, ctx) =>
        andThen(validate(input, parseJson(payload, ctx.limits), 'input'), (value) => andThen(call(value, ctx), outputPart)),
      );
    }
    const call = fn as (inputs: AsyncIterable<unknown>, ctx: HandlerContext) => Iterable<unknown> | AsyncIterable<unknown>;
    return this.handleStream(operation.name, (parts, ctx) => {
      const inputs = mapParts(parts, (p) => validate(input, parseJson(p, ctx.limits), 'input'));
      return encodeParts(call(inputs, ctx), outputPart);
    });
  }

  /** Handles a JSON notification. */
  onNotification(name: string, fn: (value: unknown, ctx: NotificationContext) => MaybePromise<void>): this;
  /** Handles a typed notification; payloads that fail its schema are reported as activity and dropped. */
  onNotification<S extends StandardSchemaV1>(type: NotificationType<S>, fn: (value: OutputOf<S>, ctx: NotificationContext) => MaybePromise<void>): this;
  onNotification(nameOrType: string | NotificationType, fn: (value: never, ctx: NotificationContext) => MaybePromise<void>): this {
    const call = fn as (value: unknown, ctx: NotificationContext) => MaybePromise<void>;
    if (typeof nameOrType === 'string') {
      return this.onNotificationBytes(nameOrType, (payload, ctx) => call(fromJson(payload, ctx.limits), ctx));
    }
    const { name, schema } = nameOrType;
    return this.onNotificationBytes(name, (payload, ctx) => andThen(validate(schema, fromJson(payload, ctx.limits), 'notification'), (v) => call(v, ctx)));
  }

  /** Handles a notification with its raw payload. */
  onNotificationBytes(name: string, fn: NotificationHandler): this {
    this.#notifications.set(name, fn);
    return this;
  }

  /** Handles every op that has no handler here or in a parent (raw bytes). */
  fallback(fn: FallbackHandler | undefined): this {
    this.#fallbackFn = fn;
    return this;
  }

  /**
   * Handles every notification that has no handler here or in a parent (raw bytes; `ctx.name`
   * says which), as the reference's handler for an empty name does. The cancel extension's
   * reserved name never reaches it.
   */
  notificationFallback(fn: NotificationHandler | undefined): this {
    this.#notificationFallbackFn = fn;
    return this;
  }

  /** Removes `op`'s handler from this registry (not from a parent). */
  remove(op: string): boolean {
    return this.#ops.delete(op);
  }

  /** Removes a notification handler from this registry. */
  removeNotification(name: string): boolean {
    return this.#notifications.delete(name);
  }

  /** The handler for `op`: this registry's, a parent's, or a fallback (nearest first). */
  lookup(op: string): OpEntry | undefined {
    const own = this.#ops.get(op);
    if (own) return own;
    const inherited = this.parent?.lookupOwn(op);
    if (inherited) return inherited;
    const fallback = this.#fallbackFn ?? this.parent?.findFallback();
    return fallback ? { kind: 'single', fn: fallback } : undefined;
  }

  /** The handler for notification `name`: this registry's, a parent's, or a fallback (nearest first). */
  lookupNotification(name: string): NotificationHandler | undefined {
    return this.lookupOwnNotification(name) ?? this.findNotificationFallback();
  }

  private lookupOwnNotification(name: string): NotificationHandler | undefined {
    return this.#notifications.get(name) ?? this.parent?.lookupOwnNotification(name);
  }

  private findNotificationFallback(): NotificationHandler | undefined {
    return this.#notificationFallbackFn ?? this.parent?.findNotificationFallback();
  }

  private lookupOwn(op: string): OpEntry | undefined {
    return this.#ops.get(op) ?? this.parent?.lookupOwn(op);
  }

  private findFallback(): FallbackHandler | undefined {
    return this.#fallbackFn ?? this.parent?.findFallback();
  }
}

/** Builds a handler context's `retry`. */
export function retry(wait = 0, message?: string): never {
  throw new RetryLater(wait, message);
}
