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
  /** What registrations said about themselves, by `op:` or `notification:` name. */
  readonly #info = new Map<string, HandlerInfo>();

  /** `parent` is consulted for names this registry does not have. */
  constructor(readonly parent?: Handlers) {}

  /** Handles `op` with raw bytes in and out. `info` describes it for discovery. */
  handleBytes(op: string, fn: BytesHandler, info?: string | HandlerInfo): this {
    this.#ops.set(op, { kind: 'single', fn });
    this.#setInfo(`op:${op}`, info);
    return this;
  }

  /** Handles `op` with JSON in and out. Bad JSON input answers an error result; `undefined` answers `null`. */
  handle(op: string, fn: (value: unknown, ctx: HandlerContext) => unknown, info?: string | HandlerInfo): this {
    return this.handleBytes(op, (payload, ctx) => andThen(fn(parseJson(payload, ctx.limits), ctx), toJson), info);
  }

  /** Handles `op` as a stream of byte parts; see {@link StreamResult} for what it may answer. */
  handleStream(op: string, fn: StreamHandler, info?: string | HandlerInfo): this {
    this.#ops.set(op, { kind: 'stream', fn });
    this.#setInfo(`op:${op}`, info);
    return this;
  }

  #setInfo(key: string, info: string | HandlerInfo | undefined): void {
    if (info) this.#info.set(key, typeof info === 'string' ? { description: info } : info);
    else this.#info.delete(key);
  }

  /**
   * Every op and notification this registry and its parents handle (this registry's entry
   * shadows a parent's of the same name), with what they said about themselves, sorted by
   * name. Fallbacks are not listed. Read-only: for discovery and help texts.
   */
  entries(): HandlerEntry[] {
    const found = new Map<string, HandlerEntry>();
    for (let h: Handlers | undefined = this; h; h = h.parent) {
      const info = h.#info;
      const add = (key: string, name: string, kind: HandlerEntry['kind']) => found.has(key) || found.set(key, { name, kind, ...info.get(key) });
      for (const [name, entry] of h.#ops) add(`op:${name}`, name, entry.kind);
      for (const name of h.#notifications.keys()) add(`notification:${name}`, name, 'notification');
    }
    return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Implements a typed operation. Input is validated before `fn` runs (a failure answers an
   * error result naming the wrong fields) and `fn`'s output is validated before it is sent.
   */
  implement<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: Operation<I, O>,
    fn: (input: OutputOf<I>, ctx: HandlerContext) => MaybePromise<InputOf<O>>,
    description?: string,
  ): this;
  /** Implements a typed streaming operation: each input part is validated, each output part too. */
  implement<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: StreamOperation<I, O>,
    fn: (inputs: AsyncIterable<OutputOf<I>>, ctx: HandlerContext) => Iterable<InputOf<O>> | AsyncIterable<InputOf<O>>,
    description?: string,
  ): this;
  implement(operation: Operation | StreamOperation, fn: (input: never, ctx: HandlerContext) => unknown, description?: string): this {
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
        const inputs = mapParts(parts, (p) => validate(input, parseJson(p, ctx.limits), 'input'));
        return encodeParts(call(inputs, ctx), outputPart);
      },
      info,
    );
  }

  /** Handles a JSON notification; `info` describes it for discovery (`input`: its payload's schema). */
  onNotification(name: string, fn: (value: unknown, ctx: NotificationContext) => MaybePromise<void>, info?: string | HandlerInfo): this;
  /** Handles a typed notification; payloads that fail its schema are reported as activity and dropped. */
  onNotification<S extends StandardSchemaV1>(
    type: NotificationType<S>,
    fn: (value: OutputOf<S>, ctx: NotificationContext) => MaybePromise<void>,
    description?: string,
  ): this;
  onNotification(nameOrType: string | NotificationType, fn: (value: never, ctx: NotificationContext) => MaybePromise<void>, info?: string | HandlerInfo): this {
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
  onNotificationBytes(name: string, fn: NotificationHandler, info?: string | HandlerInfo): this {
    this.#notifications.set(name, fn);
    this.#setInfo(`notification:${name}`, info);
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
    this.#info.delete(`op:${op}`);
    return this.#ops.delete(op);
  }

  /** Removes a notification handler from this registry. */
  removeNotification(name: string): boolean {
    this.#info.delete(`notification:${name}`);
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
