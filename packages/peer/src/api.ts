import type { ActivityListener, CloseInfo } from './activity.ts';
import { GotalkError } from './errors.ts';
import { andThen } from './maybe-async.ts';
import type { NotificationType, Operation, StreamOperation } from './operation.ts';
import { errorText, fromJson, toJson, type JsonLimits } from './payload.ts';
import { validate, type InputOf, type OutputOf, type StandardSchemaV1 } from './schema.ts';
import type { TransportInfo } from './transport.ts';

/** Options of a request. */
export interface RequestOptions {
  /** Milliseconds until the request fails with `TIMEOUT` (covers retries); 0 for none. */
  readonly timeout?: number;
  /** Aborting fails the request at once with `ABORTED`; a late reply is ignored. */
  readonly signal?: AbortSignal;
  /** How many times to retry after retry results before failing with `RETRY_EXHAUSTED`. */
  readonly retries?: number;
}

/**
 * Parts to send as a stream request: any iterable or async iterable of byte chunks. A part is
 * handed over when yielded: large ones are written out without a copy, later, so a producer must
 * not change a part's bytes after yielding it (yield a fresh buffer each time).
 */
export type PartSource = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** The result of a stream call: its parts as they arrive, in order. */
export interface ResultStream extends AsyncIterable<Uint8Array> {
  /**
   * Reads every remaining part and returns them joined; past the peer's `limits.maxPayload`
   * bytes the call fails with `PAYLOAD_TOO_LARGE` (iterate the parts to take more).
   */
  collect(): Promise<Uint8Array>;
}

/** The last heartbeat the other side sent. */
export interface RemoteHeartbeat {
  /** Its load, 0 (idle) .. 0xffff (saturated). */
  readonly load: number;
  /** Its clock, in Unix seconds. */
  readonly time: number;
  /** When it arrived, in ms since the epoch (this side's clock). */
  readonly receivedAt: number;
}

/**
 * The calling surface of everything that talks Gotalk: a {@link Peer} (one connection), a
 * client that reconnects, a pool of workers. Requests go out with JSON, raw bytes or typed
 * operations, single or streamed; notifications go one way. A handler's `ctx.peer` offers it
 * too, to call back the side that is asking.
 */
export interface Caller {
  /** Sends a JSON request and resolves with the JSON result (`undefined` for an empty result). */
  request(op: string, value?: unknown, options?: RequestOptions): Promise<unknown>;
  /** Sends a request with a raw payload and resolves with the raw result. */
  requestBytes(op: string, payload: Uint8Array, options?: RequestOptions): Promise<Uint8Array>;
  /** Calls a typed operation: input typed by its schema, result validated by its output schema. */
  call<I extends StandardSchemaV1, O extends StandardSchemaV1>(operation: Operation<I, O>, input: InputOf<I>, options?: RequestOptions): Promise<OutputOf<O>>;
  /**
   * Opens a stream call. With `input` as parts (an iterable or async iterable) it sends a stream
   * request; with one payload (or none) a single request. Either way the result comes as parts.
   */
  stream(op: string, input?: PartSource | Uint8Array, options?: RequestOptions): ResultStream;
  /** Calls a typed streaming operation: each input value and each output value is one part. */
  callStream<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: StreamOperation<I, O>,
    inputs: Iterable<InputOf<I>> | AsyncIterable<InputOf<I>>,
    options?: RequestOptions,
  ): AsyncGenerator<OutputOf<O>, void, undefined>;
  /** Sends a JSON notification. */
  notify(name: string, value?: unknown): void;
  /** Sends a typed notification (validated before it is sent). */
  notify<S extends StandardSchemaV1>(type: NotificationType<S>, value: InputOf<S>): Promise<void>;
  /** Sends a notification with a raw payload. */
  notifyBytes(name: string, payload: Uint8Array): void;
  /** Subscribes to activity events; returns the unsubscribe function. */
  onActivity(listener: ActivityListener): () => void;
  /** Sets the load sent in heartbeats (0..0xffff) instead of the derived one; undefined to derive again. */
  setLoad(load: number | undefined): void;
}

/** One connection, as its handlers see it (`ctx.peer`): the calling surface and the connection's state; `D` is the type of its data. */
export interface Connection<D = unknown> extends Caller {
  /** What the transport knows about the other end (address, certificate, HTTP request…). */
  readonly info: TransportInfo | undefined;
  /** The application's data for this connection (an accept hook's result, say). */
  data: D;
  /** True until the connection is closing or closed. */
  readonly open: boolean;
  /** Resolves when the other side's version arrived; rejects if the connection ends first. */
  readonly ready: Promise<void>;
  /** Resolves, never rejects, when the connection is gone, saying why. */
  readonly closed: Promise<CloseInfo>;
  /** The last heartbeat received. */
  readonly remoteHeartbeat: RemoteHeartbeat | undefined;
  /** Requests being served plus requests awaiting replies. */
  readonly inFlight: number;
  /** Bytes sent and not yet gone (queued, or held by the transport), when the connection can tell; see `Peer.unsent`. */
  readonly unsent?: number;
  /** Closes gracefully, letting what is in flight finish; resolves with the close info. */
  close(): Promise<CloseInfo>;
  /** Ends the connection at once. */
  destroy(error?: GotalkError): void;
}

/**
 * A JSON request's result (or result part): `INVALID_JSON` when the other side sent something
 * else, `JSON_TOO_LARGE` or `JSON_TOO_DEEP` past the limits.
 */
export function jsonResult(payload: Uint8Array, op: string, limits: JsonLimits): unknown {
  try {
    return fromJson(payload, limits);
  } catch (err) {
    if (err instanceof GotalkError) throw err;
    throw new GotalkError('INVALID_JSON', `the result of "${op}" is not JSON: ${errorText(err)}`, { cause: err });
  }
}

/**
 * The JSON and typed half of {@link Caller}, written once over its raw half: a subclass
 * provides `requestBytes`, `stream`, `notifyBytes`, `onActivity`, `setLoad` and the JSON limits.
 */
export abstract class CallerBase implements Caller {
  /** The bounds JSON results are parsed within. */
  protected abstract get jsonLimits(): JsonLimits;
  abstract requestBytes(op: string, payload: Uint8Array, options?: RequestOptions): Promise<Uint8Array>;
  abstract stream(op: string, input?: PartSource | Uint8Array, options?: RequestOptions): ResultStream;
  abstract notifyBytes(name: string, payload: Uint8Array): void;
  abstract onActivity(listener: ActivityListener): () => void;
  abstract setLoad(load: number | undefined): void;

  request(op: string, value?: unknown, options: RequestOptions = {}): Promise<unknown> {
    return this.requestDecoded(op, toJson(value), options, (result) => jsonResult(result, op, this.jsonLimits));
  }

  /**
   * `requestBytes` whose promise settles with `decode(result)` (rejects with what `decode`
   * throws). A subclass that makes the request itself may decode without a second promise.
   */
  protected requestDecoded(op: string, payload: Uint8Array, options: RequestOptions, decode: (result: Uint8Array) => unknown): Promise<unknown> {
    return this.requestBytes(op, payload, options).then(decode);
  }

  async call<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: Operation<I, O>,
    input: InputOf<I>,
    options: RequestOptions = {},
  ): Promise<OutputOf<O>> {
    const result = await this.request(operation.name, input, options);
    return validate(operation.output, result, 'output');
  }

  async *callStream<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: StreamOperation<I, O>,
    inputs: Iterable<InputOf<I>> | AsyncIterable<InputOf<I>>,
    options: RequestOptions = {},
  ): AsyncGenerator<OutputOf<O>, void, undefined> {
    async function* encode() {
      for await (const v of inputs) yield toJson(v);
    }
    for await (const part of this.stream(operation.name, encode(), options)) {
      yield await validate(operation.output, jsonResult(part, operation.name, this.jsonLimits), 'output');
    }
  }

  notify(name: string, value?: unknown): void;
  notify<S extends StandardSchemaV1>(type: NotificationType<S>, value: InputOf<S>): Promise<void>;
  notify(nameOrType: string | NotificationType, value?: unknown): void | Promise<void> {
    if (typeof nameOrType === 'string') return this.notifyBytes(nameOrType, toJson(value));
    // A promise in every case (never a synchronous throw); the value is sent as given, once it
    // passed the schema, since the receiver parses it with the same schema.
    return new Promise<void>((resolve) =>
      resolve(andThen(validate(nameOrType.schema, value, 'notification'), () => this.notifyBytes(nameOrType.name, toJson(value)))),
    );
  }
}
