import type { Caller, RequestOptions } from './api.ts';
import type { Contract, ContractEntry, ContractProxy } from './contract.ts';
import type { NotificationType, Operation, StreamOperation } from './operation.ts';

/** An outgoing call of a contract proxy, as its hooks see it. */
export interface OutgoingCall {
  /** Which kind of entry is called. */
  readonly kind: 'operation' | 'stream' | 'notification';
  /** The entry's method name in the contract. */
  readonly method: string;
  /** The wire name: the op or notification name. */
  readonly op: string;
  /** The input value (a stream: the iterable of its input values), before it is sent. */
  readonly input: unknown;
  /** The per-call options given to the method (none for a notification). */
  readonly options: RequestOptions;
}

/**
 * A hook around every call a proxy makes. `next(call)` makes the call (with a changed input or
 * options when given: `next({ ...call, input: { ...input, token } })`) and returns what the
 * method returns: a promise of the output (an operation), an async iterable of the outputs (a
 * stream; it has not started yet), a promise (a notification). Return that, or something of
 * the same kind: call `next` again to retry, time it, or answer without calling.
 */
export type OutgoingHook = (call: OutgoingCall, next: (call?: OutgoingCall) => unknown) => unknown;

/** Options of {@link createProxy}. */
export interface ProxyOptions {
  /** Hooks around every call, the first outermost. */
  readonly use?: readonly OutgoingHook[];
}

/** Makes `call` through `caller`: the entry's typed call, validated as `call()`, `callStream()` and `notify()` validate. */
function send(caller: Caller, entry: ContractEntry, call: OutgoingCall): unknown {
  if (entry.kind === 'operation') return caller.call(entry as Operation, call.input as never, call.options);
  if (entry.kind === 'stream') return caller.callStream(entry as StreamOperation, call.input as Iterable<never>, call.options);
  return caller.notify(entry as NotificationType, call.input as never);
}

function through(hooks: readonly OutgoingHook[], last: (call: OutgoingCall) => unknown, i: number, call: OutgoingCall): unknown {
  if (i === hooks.length) return last(call);
  return hooks[i]!(call, (changed) => through(hooks, last, i + 1, changed ?? call));
}

/**
 * The typed calling side of `contract` over any {@link Caller} (a peer, a reconnecting client, a
 * pool, a handler's `ctx.peer`): `api.greet({ name })` resolves with the output, a stream
 * operation's method yields its outputs (`for await`), a notification's method sends it. Every
 * method but a notification's takes the per-call {@link RequestOptions} last. Inputs are checked
 * by the other side and outputs here, by the contract's schemas.
 */
export function createProxy<C extends Contract>(caller: Caller, contract: C, options: ProxyOptions = {}): ContractProxy<C> {
  const hooks = options.use ?? [];
  const proxy: Record<string, unknown> = {};
  for (const [method, entry] of Object.entries(contract.entries)) {
    const last = (call: OutgoingCall) => send(caller, entry, call);
    const start = (input: unknown, opts: RequestOptions | undefined) =>
      through(hooks, last, 0, { kind: entry.kind, method, op: entry.name, input, options: opts ?? {} });
    proxy[method] =
      entry.kind === 'stream'
        ? // A generator: nothing is sent until the first part is asked for, as callStream does.
          async function* (inputs: unknown, opts?: RequestOptions) {
            yield* (await start(inputs, opts)) as AsyncIterable<unknown>;
          }
        : (input: unknown, opts?: RequestOptions) => new Promise((resolve) => resolve(start(input, entry.kind === 'operation' ? opts : undefined)));
  }
  return Object.freeze(proxy) as ContractProxy<C>;
}
