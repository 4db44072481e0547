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

/**
 * What a registration may say about itself for discovery (see `discovery.ts`): a one-line
 * description and, for untyped handlers, the schemas of its input and output. A string is
 * the description alone. Typed operations take their schemas from their definition.
 */
export interface HandlerInfo {
  readonly description?: string | undefined;
  readonly input?: StandardSchemaV1 | undefined;
  readonly output?: StandardSchemaV1 | undefined;
}

/** One registered op or notification as {@link Handlers.entries} lists it. */
export interface HandlerEntry extends HandlerInfo {
  readonly name: string;
  /** `single` (a request answered with one result), `stream`, or `notification`. */
  readonly kind: 'single' | 'stream' | 'notification';
}

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

/** The values of `values` through `fn`, in order (both awaited): stream parts decoded, or outputs encoded. */
async function* mapEach<T, U>(values: Iterable<T> | AsyncIterable<T>, fn: (v: T) => MaybePromise<U>): AsyncIterable<U> {
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
  /** What registrations said about themselves, by `op:` or `notification:` name. */
  #info: Map<string, HandlerInfo> | null = null; // made on the first description (most registries have none)

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

  /** Handles `op` with raw bytes in and out. `info` describes it for discovery. */
  handleBytes(op: string, fn: BytesHandler<D>, info?: string | HandlerInfo): this {
    (this.#ops ??= new Map()).set(op, { kind: 'single', fn: fn as BytesHandler, hooks: this.#hooks });
    this.#setInfo(`op:${op}`, info);
    return this;
  }

  /** Handles `op` with JSON in and out. Bad JSON input answers an error result; `undefined` answers `null`. */
  handle(op: string, fn: (value: unknown, ctx: HandlerContext<D>) => unknown, info?: string | HandlerInfo): this {
    return this.handleBytes(op, (payload, ctx) => andThen(fn(parseJson(payload, ctx.limits), ctx), toJson), info);
  }

  /** Handles `op` as a stream of byte parts; see {@link StreamResult} for what it may answer. */
  handleStream(op: string, fn: StreamHandler<D>, info?: string | HandlerInfo): this {
    (this.#ops ??= new Map()).set(op, { kind: 'stream', fn: fn as StreamHandler, hooks: this.#hooks });
    this.#setInfo(`op:${op}`, info);
    return this;
  }

  #setInfo(key: string, info: string | HandlerInfo | undefined): void {
    if (info) (this.#info ??= new Map()).set(key, typeof info === 'string' ? { description: info } : info);
    else this.#info?.delete(key);
  }

  /**
   * Every op and notification this registry and its parents handle (this registry's entry
   * shadows a parent's of the same name), with what they said about themselves, sorted by
   * name. Fallbacks are not listed. Read-only: for discovery and help texts.
   */
  entries(): HandlerEntry[] {
    const found = new Map<string, HandlerEntry>();
    this.#collect(found);
    return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #collect(found: Map<string, HandlerEntry>): void {
    const add = (key: string, name: string, kind: HandlerEntry['kind']) => found.has(key) || found.set(key, { name, kind, ...this.#info?.get(key) });
    for (const [name, entry] of this.#ops ?? []) add(`op:${name}`, name, entry.kind);
    for (const name of this.#notifications?.keys() ?? []) add(`notification:${name}`, name, 'notification');
    if (this.parent) this.parent.#collect(found);
  }

  /**
   * Implements a typed operation. Input is validated before `fn` runs (a failure answers an
   * error result naming the wrong fields) and `fn`'s output is validated before it is sent.
   */
  implement<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: Operation<I, O>,
    fn: (input: OutputOf<I>, ctx: HandlerContext<D>) => MaybePromise<InputOf<O>>,
    description?: string,
  ): this;
  /** Implements a typed streaming operation: each input part is validated, each output part too. */
  implement<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: StreamOperation<I, O>,
    fn: (inputs: AsyncIterable<OutputOf<I>>, ctx: HandlerContext<D>) => Iterable<InputOf<O>> | AsyncIterable<InputOf<O>>,
    description?: string,
  ): this;
  /**
   * Implements a whole contract: a handler for each of its operations, stream operations and
   * notifications, validated as each of them is alone. The compiler reports an entry missing,
   * extra or mistyped; at run time a missing one throws TypeError naming it.
   */
  implement<C extends Contract>(contract: C, impl: Implementation<C, D>): this;
  implement(operation: Operation | StreamOperation | Contract, fn: unknown, description?: string): this {
    if (operation.kind === 'contract') return this.#implementContract(operation, fn as Record<string, unknown>);
    const { input, output } = operation;
    const info: HandlerInfo = { description: description ?? operation.description, input, output };
    // Checked, but the handler's value is sent as is: the requestor parses it with the same schema
    // (sending the parsed value would apply transforms twice).
    const outputPart = (v: unknown) => andThen(validate(output, v, 'output'), () => toJson(v));
    if (operation.kind === 'operation') {
      const call = fn as (input: unknown, ctx: HandlerContext) => unknown;
      return this.handleBytes(
        operation.name,
        (payload, ctx) => andThen(validate(input, parseJson(payload, ctx.limits), 'input'), (value) => andThen(call(value, ctx), outputPart)),
        info,
      );
    }
    const call = fn as (inputs: AsyncIterable<unknown>, ctx: HandlerContext) => Iterable<unknown> | AsyncIterable<unknown>;
    return this.handleStream(
      operation.name,
      (parts, ctx) => {
        const inputs = mapEach(parts, (p) => validate(input, parseJson(p, ctx.limits), 'input'));
        return mapEach(call(inputs, ctx), outputPart);
      },
      info,
    );
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

  /** Handles a JSON notification; `info` describes it for discovery (`input`: its payload's schema). */
  onNotification(name: string, fn: (value: unknown, ctx: NotificationContext<D>) => MaybePromise<void>, info?: string | HandlerInfo): this;
  /** Handles a typed notification; payloads that fail its schema are reported as activity and dropped. */
  onNotification<S extends StandardSchemaV1>(
    type: NotificationType<S>,
    fn: (value: OutputOf<S>, ctx: NotificationContext<D>) => MaybePromise<void>,
    description?: string,
  ): this;
  onNotification(
    nameOrType: string | NotificationType,
    fn: (value: never, ctx: NotificationContext<D>) => MaybePromise<void>,
    info?: string | HandlerInfo,
  ): this {
    const call = fn as (value: unknown, ctx: NotificationContext) => MaybePromise<void>;
    if (typeof nameOrType === 'string') {
      return this.onNotificationBytes(nameOrType, (payload, ctx) => call(fromJson(payload, ctx.limits), ctx), info);
    }
    const { name, schema } = nameOrType;
    const described: HandlerInfo = { description: (typeof info === 'string' ? info : undefined) ?? nameOrType.description, input: schema };
    return this.onNotificationBytes(
      name,
      (payload, ctx) => andThen(validate(schema, fromJson(payload, ctx.limits), 'notification'), (v) => call(v, ctx)),
      described,
    );
  }

  /** Handles a notification with its raw payload; `info` describes it for discovery. */
  onNotificationBytes(name: string, fn: NotificationHandler<D>, info?: string | HandlerInfo): this {
    (this.#notifications ??= new Map()).set(name, fn as NotificationHandler);
    this.#setInfo(`notification:${name}`, info);
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
    this.#info?.delete(`op:${op}`);
    return this.#ops?.delete(op) ?? false;
  }

  /** Removes a notification handler from this registry. */
  removeNotification(name: string): boolean {
    this.#info?.delete(`notification:${name}`);
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
