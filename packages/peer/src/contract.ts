import type { RequestOptions } from './api.ts';
import type { HandlerContext, NotificationContext } from './handlers.ts';
import type { MaybePromise } from './maybe-async.ts';
import type { NotificationType, Operation, StreamOperation } from './operation.ts';
import type { InputOf, OutputOf, StandardSchemaV1 } from './schema.ts';

/** What a contract groups: request/response operations, stream operations and notifications. */
export type ContractEntry = Operation | StreamOperation | NotificationType;

/** A contract's entries by the name of their method (the key), each with its wire name. */
export type ContractEntries = { readonly [method: string]: ContractEntry };

/**
 * Everything one side serves: its operations, stream operations and the notifications it
 * receives, shared by the side that implements it (`handlers.implement(contract, impl)`) and the
 * side that calls it (`createProxy(caller, contract)`). A page's own operations are a contract
 * too. Made by {@link defineContract}.
 */
export interface Contract<E extends ContractEntries = ContractEntries> {
  readonly kind: 'contract';
  readonly entries: E;
}

/** The schema of {@link typed}: any value passes, typed as `T`. */
export type Typed<T> = StandardSchemaV1<T, T>;

const passThrough: Typed<unknown> = {
  '~standard': { version: 1, vendor: 'gotalk', validate: (value) => ({ value }) },
};

/**
 * A schema that checks nothing and types its value as `T`: for trusted, typed-only use, where a
 * TypeScript interface is the contract (as birpc does). Values pass as they are.
 */
export function typed<T>(): Typed<T> {
  return passThrough as Typed<T>;
}

/**
 * Schemas of a contract's operation; `name` is its wire name (default: its key in the contract),
 * `description` a one line for discovery (`$describe`, `gotalk ops`).
 */
export interface OperationSchemas<I extends StandardSchemaV1, O extends StandardSchemaV1> {
  readonly input: I;
  readonly output: O;
  readonly name?: string;
  readonly description?: string;
}

/**
 * A request/response operation of a contract: `operation({ input, output })` with schemas
 * (zod, any Standard Schema), or `operation<In, Out>()` typed only, checked by nothing.
 */
export function operation<I, O>(): Operation<Typed<I>, Typed<O>>;
export function operation<I extends StandardSchemaV1, O extends StandardSchemaV1>(schemas: OperationSchemas<I, O>): Operation<I, O>;
export function operation(schemas?: OperationSchemas<StandardSchemaV1, StandardSchemaV1>): Operation {
  return { kind: 'operation', ...entry(schemas) };
}

/** What an operation and a stream operation take from their schemas, absent ones passing anything through. */
function entry(schemas?: OperationSchemas<StandardSchemaV1, StandardSchemaV1>) {
  return { name: schemas?.name ?? '', input: schemas?.input ?? passThrough, output: schemas?.output ?? passThrough, description: schemas?.description };
}

/** A stream operation of a contract: `input` and `output` describe one part each; or `streamOperation<In, Out>()` typed only. */
export function streamOperation<I, O>(): StreamOperation<Typed<I>, Typed<O>>;
export function streamOperation<I extends StandardSchemaV1, O extends StandardSchemaV1>(schemas: OperationSchemas<I, O>): StreamOperation<I, O>;
export function streamOperation(schemas?: OperationSchemas<StandardSchemaV1, StandardSchemaV1>): StreamOperation {
  return { kind: 'stream', ...entry(schemas) };
}

/**
 * A notification of a contract, with the schema of its payload (`notification(schema, name?,
 * description?)`: its wire name, default its key; a one line for discovery), or
 * `notification<T>()` typed only.
 */
export function notification<T>(): NotificationType<Typed<T>>;
export function notification<S extends StandardSchemaV1>(schema: S, name?: string, description?: string): NotificationType<S>;
export function notification(schema?: StandardSchemaV1, name?: string, description?: string): NotificationType {
  return { kind: 'notification', name: name ?? '', schema: schema ?? passThrough, description };
}

/**
 * Groups entries into a contract. Each key is the method's name on the proxy and in the
 * implementation; an entry made without a wire name (`operation(…)` with no `name`) takes its
 * key as its name, and one made by `defineOperation(name, …)` keeps its own. Throws TypeError
 * for an entry that is none of the three kinds, or two entries of one kind with one wire name.
 */
export function defineContract<E extends ContractEntries>(entries: E): Contract<E> {
  const named: Record<string, ContractEntry> = {};
  const seen = new Set<string>();
  for (const [key, entry] of Object.entries(entries)) {
    if (entry?.kind !== 'operation' && entry?.kind !== 'stream' && entry?.kind !== 'notification') {
      throw new TypeError(`contract entry "${key}" is not an operation, stream operation or notification`);
    }
    const name = entry.name || key;
    // Operations and stream operations share the op names on the wire; notifications have their own.
    const wire = `${entry.kind === 'notification' ? 'n' : 'r'}:${name}`;
    if (seen.has(wire)) throw new TypeError(`contract entry "${key}": the name "${name}" is used twice`);
    seen.add(wire);
    named[key] = entry.name ? entry : { ...entry, name };
  }
  return { kind: 'contract', entries: named as E };
}

/** What implements one entry: a handler of the entry's typed values, seeing the connection's data `D` in its context. */
export type EntryHandler<E, D = unknown> =
  E extends Operation<infer I, infer O>
    ? (input: OutputOf<I>, ctx: HandlerContext<D>) => MaybePromise<InputOf<O>>
    : E extends StreamOperation<infer I, infer O>
      ? (inputs: AsyncIterable<OutputOf<I>>, ctx: HandlerContext<D>) => Iterable<InputOf<O>> | AsyncIterable<InputOf<O>>
      : E extends NotificationType<infer S>
        ? (value: OutputOf<S>, ctx: NotificationContext<D>) => MaybePromise<void>
        : never;

/** An implementation of contract `C`: a handler for every entry, none missing, none extra. */
export type Implementation<C extends Contract, D = unknown> = { readonly [K in keyof C['entries']]: EntryHandler<C['entries'][K], D> };

/** How the proxy calls one entry: an operation resolves with its output, a stream yields its parts, a notification is sent. */
export type ProxyMethod<E> =
  E extends Operation<infer I, infer O>
    ? (input: InputOf<I>, options?: RequestOptions) => Promise<OutputOf<O>>
    : E extends StreamOperation<infer I, infer O>
      ? (inputs: Iterable<InputOf<I>> | AsyncIterable<InputOf<I>>, options?: RequestOptions) => AsyncGenerator<OutputOf<O>, void, undefined>
      : E extends NotificationType<infer S>
        ? (value: InputOf<S>) => Promise<void>
        : never;

/** The typed calling side of contract `C` (see `createProxy`): one method per entry. */
export type ContractProxy<C extends Contract> = { readonly [K in keyof C['entries']]: ProxyMethod<C['entries'][K]> };
