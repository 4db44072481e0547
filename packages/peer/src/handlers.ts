import type { RequestId } from '@gotalk/protocol';
import { GotalkError, RetryLater } from './errors.ts';
import { andThen, type MaybePromise } from './maybe-async.ts';
import type { NotificationType, Operation, StreamOperation } from './operation.ts';
import type { Limits } from './defaults.ts';
import { fromJson, toJson } from './payload.ts';
import type { Connection } from './api.ts';
import { validate, type InputOf, type OutputOf, type StandardSchemaV1 } from './schema.ts';
import type { Contract, Implementation } from './contract.ts';
import type { Middleware } from './middleware.ts';

/** What every handler gets besides its input; `D` is the type of the connection's data. */
export interface HandlerContext<D = unknown> {
  /** The connection the request came on: call the other side back through it. */
  readonly peer: Connection<D>;
  /** The connection's data (`peer.data`): a server's accept hook's result, say. */
  readonly data: D;
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

/** What a notification handler gets besides its payload; `D` is the type of the connection's data. */
export interface NotificationContext<D = unknown> {
  /** The connection the notification came on. */
  readonly peer: Connection<D>;
  /** The connection's data (`peer.data`). */
  readonly data: D;
  readonly name: string;
  /** The limits of this connection (the JSON helpers parse within them). */
  readonly limits: Limits;
}

/** A handler answering one payload with one payload. Throw to answer an error result. */
export type BytesHandler<D = unknown> = (payload: Uint8Array, ctx: HandlerContext<D>) => MaybePromise<Uint8Array>;

/**
 * What a stream handler may produce: parts as an iterable or async iterable (each non-empty
 * part becomes an `S` frame, then an empty `S` ends the result), or one payload (an `R`). A
 * yielded part is handed over: large parts are written out later without a copy, so do not
 * change its bytes after yielding it.
 */
export type StreamResult = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** A handler receiving a stream of parts (a single request arrives as one part). */
export type StreamHandler<D = unknown> = (parts: AsyncIterable<Uint8Array>, ctx: HandlerContext<D>) => MaybePromise<StreamResult>;

/** A handler for an op with no registered handler; `ctx.op` names it. */
export type FallbackHandler<D = unknown> = BytesHandler<D>;

/** A notification handler; errors it throws are reported as activity, never sent. */
export type NotificationHandler<D = unknown> = (payload: Uint8Array, ctx: NotificationContext<D>) => MaybePromise<void>;

/** How the peer runs a registered op: its handler, and the middleware of the registry that holds it. */
export type OpEntry = ({ readonly kind: 'single'; readonly fn: BytesHandler } | { readonly kind: 'stream'; readonly fn: StreamHandler }) & {
  readonly hooks?: readonly Middleware[];
};

/** A notification handler and the middleware of the registry that holds it. */
export interface NotificationEntry {
  readonly fn: NotificationHandler;
  readonly hooks: readonly Middleware[];
}

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
 * Registering a name again replaces its handler. `D` is the type of the connections' data that
 * handlers see as `ctx.data` (a server's accept hook's result).
 */
export class Handlers<D = unknown> {
  // Made on first use: every connection has a registry of its own, and most never fill theirs.
  #ops: Map<string, OpEntry> | null = null;
  #notifications: Map<string, NotificationHandler> | null = null;
  readonly #hooks: Middleware[] = [];
  #fallbackFn: FallbackHandler | undefined;
  #notificationFallbackFn: NotificationHandler | undefined;

  /** `parent` is consulted for names this registry does not have. */
  constructor(readonly parent?: Handlers<D>) {}

  /**
   * Adds middleware around every request and notification served by a handler of this registry
   * (its fallbacks included; not its parent's handlers, nor a child's), after those added before.
   * A peer's own middleware (`peer.use`, a server's `use` option) runs outside these.
   */
  use(...hooks: Middleware<D>[]): this {
    this.#hooks.push(...(hooks as Middleware[]));
    return this;
  }

  /** Handles `op` with raw bytes in and out. */
  handleBytes(op: string, fn: BytesHandler<D>): this {
    (this.#ops ??= new Map()).set(op, { kind: 'single', fn: fn as BytesHandler, hooks: this.#hooks });
    return this;
  }

  /** Handles `op` with JSON in and out. Bad JSON input answers an error result; `undefined` answers `null`. */
  handle(op: string, fn: (value: unknown, ctx: HandlerContext<D>) => unknown): this {
    return this.handleBytes(op, (payload, ctx) => andThen(fn(parseJson(payload, ctx.limits), ctx), toJson));
  }

  /** Handles `op` as a stream of byte parts; see {@link StreamResult} for what it may answer. */
  handleStream(op: string, fn: StreamHandler<D>): this {
    (this.#ops ??= new Map()).set(op, { kind: 'stream', fn: fn as StreamHandler, hooks: this.#hooks });
    return this;
  }

  /**
   * Implements a typed operation. Input is validated before `fn` runs (a failure answers an
   * error result naming the wrong fields) and `fn`'s output is validated before it is sent.
   */
  implement<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: Operation<I, O>,
    fn: (input: OutputOf<I>, ctx: HandlerContext<D>) => MaybePromise<InputOf<O>>,
  ): this;
  /** Implements a typed streaming operation: each input part is validated, each output part too. */
  implement<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: StreamOperation<I, O>,
    fn: (inputs: AsyncIterable<OutputOf<I>>, ctx: HandlerContext<D>) => Iterable<InputOf<O>> | AsyncIterable<InputOf<O>>,
  ): this;
  /**
   * Implements a whole contract: a handler for each of its operations, stream operations and
   * notifications, validated as each of them is alone. The compiler reports an entry missing,
   * extra or mistyped; at run time a missing one throws TypeError naming it.
   */
  implement<C extends Contract>(contract: C, impl: Implementation<C, D>): this;
  implement(operation: Operation | StreamOperation | Contract, fn: unknown): this {
    if (operation.kind === 'contract') return this.#implementContract(operation, fn as Record<string, unknown>);
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

  #implementContract(contract: Contract, impl: Record<string, unknown>): this {
    for (const [key, entry] of Object.entries(contract.entries)) {
      const fn = impl[key];
      if (typeof fn !== 'function') throw new TypeError(`the implementation of the contract has no function "${key}"`);
      if (entry.kind === 'notification') this.onNotification(entry, fn as (value: unknown) => void);
      else this.implement(entry as Operation, fn as (input: unknown) => unknown);
    }
    return this;
  }

  /** Handles a JSON notification. */
  onNotification(name: string, fn: (value: unknown, ctx: NotificationContext<D>) => MaybePromise<void>): this;
  /** Handles a typed notification; payloads that fail its schema are reported as activity and dropped. */
  onNotification<S extends StandardSchemaV1>(type: NotificationType<S>, fn: (value: OutputOf<S>, ctx: NotificationContext<D>) => MaybePromise<void>): this;
  onNotification(nameOrType: string | NotificationType, fn: (value: never, ctx: NotificationContext<D>) => MaybePromise<void>): this {
    const call = fn as (value: unknown, ctx: NotificationContext) => MaybePromise<void>;
    if (typeof nameOrType === 'string') {
      return this.onNotificationBytes(nameOrType, (payload, ctx) => call(fromJson(payload, ctx.limits), ctx));
    }
    const { name, schema } = nameOrType;
    return this.onNotificationBytes(name, (payload, ctx) => andThen(validate(schema, fromJson(payload, ctx.limits), 'notification'), (v) => call(v, ctx)));
  }

  /** Handles a notification with its raw payload. */
  onNotificationBytes(name: string, fn: NotificationHandler<D>): this {
    (this.#notifications ??= new Map()).set(name, fn as NotificationHandler);
    return this;
  }

  /** Handles every op that has no handler here or in a parent (raw bytes). */
  fallback(fn: FallbackHandler<D> | undefined): this {
    this.#fallbackFn = fn as FallbackHandler | undefined;
    return this;
  }

  /**
   * Handles every notification that has no handler here or in a parent (raw bytes; `ctx.name`
   * says which), as the reference's handler for an empty name does. The cancel extension's
   * reserved name never reaches it.
   */
  notificationFallback(fn: NotificationHandler<D> | undefined): this {
    this.#notificationFallbackFn = fn as NotificationHandler | undefined;
    return this;
  }

  /** Removes `op`'s handler from this registry (not from a parent). */
  remove(op: string): boolean {
    return this.#ops?.delete(op) ?? false;
  }

  /** Removes a notification handler from this registry. */
  removeNotification(name: string): boolean {
    return this.#notifications?.delete(name) ?? false;
  }

  /** The handler for `op`: this registry's, a parent's, or a fallback (nearest first), with the middleware of the registry holding it. */
  lookup(op: string): OpEntry | undefined {
    return this.lookupOwn(op) ?? this.findFallback();
  }

  /** The handler for notification `name`: this registry's, a parent's, or a fallback (nearest first). */
  lookupNotification(name: string): NotificationHandler | undefined {
    return this.findNotification(name)?.fn;
  }

  /** The handler for notification `name` as {@link lookupNotification} finds it, with the middleware of the registry holding it. */
  findNotification(name: string): NotificationEntry | undefined {
    return this.lookupOwnNotification(name) ?? this.findNotificationFallback();
  }

  private lookupOwnNotification(name: string): NotificationEntry | undefined {
    const fn = this.#notifications?.get(name);
    return fn ? { fn, hooks: this.#hooks } : this.parent?.lookupOwnNotification(name);
  }

  private findNotificationFallback(): NotificationEntry | undefined {
    const fn = this.#notificationFallbackFn;
    return fn ? { fn, hooks: this.#hooks } : this.parent?.findNotificationFallback();
  }

  private lookupOwn(op: string): OpEntry | undefined {
    return this.#ops?.get(op) ?? this.parent?.lookupOwn(op);
  }

  private findFallback(): OpEntry | undefined {
    const fn = this.#fallbackFn;
    return fn ? { kind: 'single', fn, hooks: this.#hooks } : this.parent?.findFallback();
  }
}

/** Builds a handler context's `retry`. */
export function retry(wait = 0, message?: string): never {
  throw new RetryLater(wait, message);
}
