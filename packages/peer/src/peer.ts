import {
  CodecError,
  encodeVersion,
  FrameDecoder,
  isValidName,
  ProtocolErrorCode,
  quoteName,
  type Admission,
  type DecodedFrame,
  type Frame,
  type PayloadFrame,
  type RequestId,
} from '@gotalk/protocol';
import { deliver, replyEvent, subscribe, type ActivityEvent, type ActivityListener, type CloseInfo, type CloseReason } from './activity.ts';
import { CallerBase, type Connection, type PartSource, type RemoteHeartbeat, type RequestOptions, type ResultStream } from './api.ts';
import type { BudgetAccount } from './budget.ts';
import { CANCEL_NOTIFICATION, cancelledId, cancelPayload } from './cancel.ts';
import { ClosedError, GotalkError, PayloadTooLargeError, ProtocolError, TimeoutError, invalidName } from './errors.ts';
import { Deadlines } from './deadlines.ts';
import { Handlers, type NotificationContext } from './handlers.ts';
import { notificationWithHooks, type Middleware } from './middleware.ts';
import { Heartbeats, type HeartbeatHooks } from './heartbeats.ts';
import { overBudget, Responder, type ResponderHost } from './incoming.ts';
import type { Limits } from './defaults.ts';
import { resolveSettings, type PeerOptions, type Settings } from './options.ts';
import { Outbox, type OutboxOptions } from './outbox.ts';
import { SingleRequest, type Outgoing, type RequestHost } from './outgoing.ts';
import { errorText } from './payload.ts';
import { StreamCall } from './stream-call.ts';
import type { Transport, TransportInfo } from './transport.ts';

type State = 'handshake' | 'open' | 'closing' | 'closed';

const FIRST_STREAM_ID = 0x80000000;

/** Makes a peer's {@link RequestHost} and {@link ResponderHost} (set by Peer's static block, where its private state is in reach). */
let makeHost: (peer: Peer) => PeerHost;

/** Everything a peer's parts call back, implemented by one object per peer. */
type PeerHost = RequestHost & ResponderHost & HeartbeatHooks & OutboxOptions & Admission;

const ignore = (): void => {};

/** The outgoing requests of every peer that has made none: empty, and never written (reads, delete and clear are safe on it). */
const NO_OUTGOING: Map<RequestId, Outgoing> = new Map();

/** True for the replies to this side's requests. */
function isReply(f: PayloadFrame): f is PayloadFrame & { type: 'R' | 'S' | 'E' | 'e' } {
  return f.type === 'R' || f.type === 'S' || f.type === 'E' || f.type === 'e';
}

/**
 * One end of a Gotalk connection. Both ends are equal: each serves operations from its
 * handlers and calls the other's. Made over any {@link Transport}; it sends its version at once
 * and is usable right away (requests made before the handshake completes queue behind it).
 */
export class Peer<D = unknown> extends CallerBase implements Connection<D> {
  /** This peer's handlers; they take precedence over the shared registry given in the options. */
  readonly handlers: Handlers<D>;
  /** The application's data for this connection (from the options). */
  data: D;

  readonly #settings: Settings;
  readonly #transport: Transport;
  readonly #decoder: FrameDecoder;
  readonly #outbox: Outbox;
  /** Requests awaiting replies. The shared empty map until the first (an idle connection holds none); written only by #register. */
  #outgoing: Map<RequestId, Outgoing> = NO_OUTGOING;
  readonly #responder: Responder;
  readonly #host: PeerHost;
  readonly #heartbeats: Heartbeats;
  /** This connection's part of a shared memory budget, when it has one. */
  readonly #account: BudgetAccount | null;
  readonly #deadlines = new Deadlines();
  #isReady = false;
  readonly #listeners: ActivityListener[] = [];
  /** Middleware around every request and notification this peer serves (the options', then `use()`'s). */
  readonly #hooks: Middleware[];
  #state: State = 'handshake';
  /** The other side has finished sending (half-close): the close that follows is its doing. */
  #inputDone = false;
  /** Why the connection ended, once it has (null for a plain close). */
  #closeError: GotalkError | null = null;
  /** `private`, not `#`: a test moves it to the wrap point. */
  private nextSingle = 0;
  #nextStream = FIRST_STREAM_ID;
  #congestedQueues = 0;
  #handshakeTimer: unknown = null;
  #closeTimer: unknown = null;
  /** The options' `load`, read for each heartbeat (the load derived from busy handlers when unset). */
  readonly #load: (() => number) | undefined;
  readonly #handshakeError: ((closed: ClosedError, reason: CloseReason) => GotalkError) | undefined;
  // `ready` and `closed` are made when first read: a server reads neither for most connections.
  #ready: Promise<void> | null = null;
  #resolveReady: (() => void) | null = null;
  #rejectReady: ((e: Error) => void) | null = null;
  /** Why `ready` rejects, once the connection ended before the handshake. */
  #readyError: GotalkError | null = null;
  #closed: Promise<CloseInfo> | null = null;
  #resolveClosed: ((info: CloseInfo) => void) | null = null;
  #closeInfo: CloseInfo | null = null;
  /** Typed for any data, as `#hooks` are, so that a `Peer<D>` stays a `Peer<unknown>`. */
  readonly #onClose: ((connection: Connection, info: CloseInfo) => void) | undefined;

  constructor(transport: Transport, options: PeerOptions<D> = {}) {
    super();
    this.#settings = resolveSettings(options as PeerOptions);
    this.#transport = transport;
    this.data = options.data as D;
    this.#hooks = [...((options.use ?? []) as Middleware[])];
    this.#handshakeError = options.handshakeError;
    this.handlers = new Handlers<D>(options.handlers);
    if (options.onActivity) this.#listeners.push(options.onActivity);
    this.#onClose = options.onClose as ((connection: Connection, info: CloseInfo) => void) | undefined;
    this.#load = options.load;
    // The account reads this peer's `unsent`: what waits in the outbox and what the transport has not sent yet.
    this.#account = options.budget?.account(this) ?? null;
    // The host is also what the outbox and the heartbeats call back: methods of one object, not a
    // closure each per connection.
    const host = makeHost(this);
    this.#host = host;
    this.#decoder = new FrameDecoder({
      maxPayload: this.#settings.limits.maxPayload,
      expectVersion: true,
      // The host's admit method, not a closure per connection.
      ...(this.#account ? { admit: host } : {}),
    });
    this.#outbox = new Outbox(transport, encodeVersion(), host);
    this.#responder = new Responder(host);
    this.#heartbeats = new Heartbeats(this.#settings, host);
    if (this.#settings.handshakeTimeout > 0) {
      this.#handshakeTimer = setTimeout(
        () => this.#fail('handshake', new TimeoutError('the other side did not complete the handshake in time'), ProtocolErrorCode.timeout),
        this.#settings.handshakeTimeout,
      );
    }
    // A plain object of closures, not the host: a transport may wrap it (`{ ...events, data }`).
    transport.start({
      data: (chunk) => this.#receive(chunk),
      drain: () => this.#outbox.drained(),
      end: () => this.#inputEnded(),
      close: (error) => this.#transportClosed(error),
    });
  }

  protected get jsonLimits(): Limits {
    return this.#settings.limits;
  }

  /** What the transport knows about the other end (address, certificate, HTTP request…). */
  get info(): TransportInfo | undefined {
    return this.#transport.info;
  }

  /** Resolves when the other side's version arrived; rejects if the connection ends first. */
  get ready(): Promise<void> {
    if (this.#ready === null) {
      this.#ready = this.#isReady
        ? Promise.resolve()
        : this.#readyError
          ? Promise.reject(this.#readyError)
          : new Promise((resolve, reject) => {
              this.#resolveReady = resolve;
              this.#rejectReady = reject;
            });
      this.#ready.catch(ignore);
    }
    return this.#ready;
  }

  /** Resolves, never rejects, when the connection is gone, saying why. */
  get closed(): Promise<CloseInfo> {
    return (this.#closed ??= this.#closeInfo ? Promise.resolve(this.#closeInfo) : new Promise((resolve) => (this.#resolveClosed = resolve)));
  }

  /** True until the connection is closing or closed. */
  get open(): boolean {
    return this.#state === 'handshake' || this.#state === 'open';
  }

  /** The last heartbeat received: the other side's load and clock, and when it came. */
  get remoteHeartbeat(): RemoteHeartbeat | undefined {
    return this.#heartbeats.remote;
  }

  /** Requests being served plus requests awaiting replies. */
  get inFlight(): number {
    return this.#responder.busy + this.#outgoing.size;
  }

  /**
   * Bytes sent and not yet gone: frames queued for the next write plus what the transport still
   * holds (`bufferedAmount`; transports that do not tell count 0). A broadcast reads it to leave
   * out a member that does not read.
   */
  get unsent(): number {
    return this.#outbox.pending + (this.#transport.bufferedAmount ?? 0);
  }

  // ----- requests -----

  /** Sends a request with a raw payload and resolves with the raw result. */
  requestBytes(op: string, payload: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    return SingleRequest.send(this.#host, op, payload, options, null) as Promise<Uint8Array>;
  }

  protected override requestDecoded(op: string, payload: Uint8Array, options: RequestOptions, decode: (result: Uint8Array) => unknown): Promise<unknown> {
    return SingleRequest.send(this.#host, op, payload, options, decode);
  }

  /**
   * Opens a stream call. With `input` as parts (an iterable or async iterable) it sends a stream
   * request; with one payload (or none) it sends a single request. Either way the result comes
   * as parts: a stream result, or one part for a single result.
   */
  stream(op: string, input: PartSource | Uint8Array = new Uint8Array(0), options: RequestOptions = {}): ResultStream {
    return new StreamCall(this.#host, op, input, options);
  }

  // ----- notifications -----

  /** Sends a notification with a raw payload. Throws ClosedError when closed, PayloadTooLargeError over `maxPayload`, `INVALID_NAME` for an empty or over-long name. */
  notifyBytes(name: string, payload: Uint8Array): void {
    if (!this.open) throw this.#closedError();
    const max = this.#settings.limits.maxPayload;
    if (payload.length > max) throw new PayloadTooLargeError(payload.length, max);
    const badName = invalidName(name, 'notification');
    if (badName) throw badName;
    this.#send({ type: 'n', name, payload });
    this.#activity({ type: 'notification', dir: 'out', name, size: payload.length });
  }

  // ----- middleware -----

  /**
   * Adds middleware around every request and notification this peer serves, whichever registry
   * holds the handler: after a server's `use` option and those added before, outside the
   * registries' own (see {@link Middleware}).
   */
  use(...hooks: Middleware<D>[]): this {
    this.#hooks.push(...(hooks as Middleware[]));
    return this;
  }

  // ----- heartbeats and activity -----

  /** Sets the load sent in heartbeats (0..0xffff) instead of the derived one; undefined to derive again. */
  setLoad(load: number | undefined): void {
    this.#heartbeats.setLoad(load);
  }

  /** Subscribes to activity events; returns the unsubscribe function. */
  onActivity(listener: ActivityListener): () => void {
    return subscribe(this.#listeners, listener);
  }

  // ----- closing -----

  /**
   * Closes gracefully: new requests fail with `CLOSED` and new incoming ones get retry results,
   * while those in flight (both ways) may finish within `closeTimeout` ms; then the connection
   * ends. Resolves with the close info.
   */
  close(): Promise<CloseInfo> {
    if (this.#state === 'closing' || this.#state === 'closed') return this.closed;
    this.#state = 'closing';
    if (this.inFlight === 0) this.#finishClose();
    else this.#closeTimer = setTimeout(() => this.#finishClose(), this.#settings.closeTimeout);
    return this.closed;
  }

  /** Ends the connection at once; everything pending fails with `CLOSED`. */
  destroy(error?: GotalkError): void {
    if (this.#state === 'closed') return;
    this.#finish('destroyed', error ?? null, true);
  }

  // ----- internals -----

  #activity(event: ActivityEvent): void {
    if (this.#listeners.length > 0) deliver(this.#listeners, event);
  }

  /**
   * The CLOSED error for what was pending when the connection ended (`pending`), or for what is
   * tried after; either way it says why the connection ended, when it was an error.
   */
  #closedError(pending = false): ClosedError {
    const e = this.#closeError;
    if (e) return new ClosedError(`the connection closed: ${e.message}`, e);
    return pending ? new ClosedError('the connection closed') : new ClosedError();
  }

  #send(frame: Frame): void {
    this.#outbox.send(frame);
  }

  #derivedLoad(): number {
    const { maxRequests, maxStreams } = this.#settings.limits;
    const capacity = maxRequests + maxStreams;
    return capacity === 0 ? 0 : Math.min(0xffff, Math.round((this.#responder.busy / capacity) * 0xffff));
  }

  static {
    /**
     * The view of a peer that its requests and its responder work through. A class, not an
     * object literal: V8 keeps a literal that has getters in dictionary mode, so that every read
     * of it on the request path was a hash lookup, and its properties took about 0.8 kB per
     * connection. Declared here, inside Peer, to reach the peer's private state.
     */
    class Host implements PeerHost {
      declare readonly settings: Settings;
      declare readonly deadlines: Deadlines;
      declare readonly handlers: Handlers;
      declare readonly hooks: readonly Middleware[];
      /** The peer itself (its private state read by the methods below). */
      declare readonly peer: Peer;
      declare readonly account: BudgetAccount | null;

      constructor(peer: Peer) {
        this.settings = peer.#settings;
        this.deadlines = peer.#deadlines;
        this.handlers = peer.handlers as Handlers;
        this.hooks = peer.#hooks;
        this.peer = peer;
        this.account = peer.#account;
      }

      // Methods on the prototype, not a closure each per connection: no caller detaches them.
      closedError(): ClosedError {
        return this.peer.#closedError();
      }

      send(frame: Frame): void {
        this.peer.#send(frame);
      }

      writable(): Promise<void> {
        return this.peer.#outbox.writable();
      }

      congestion(on: boolean): void {
        this.peer.#congestion(on);
      }

      activity(event: ActivityEvent): void {
        this.peer.#activity(event);
      }

      idle(): void {
        this.peer.#maybeFinishClose();
      }

      register(request: Outgoing, stream: boolean): RequestId {
        return this.peer.#register(request, stream);
      }

      cancel(id: RequestId): void {
        this.peer.#send({ type: 'n', name: CANCEL_NOTIFICATION, payload: cancelPayload(id) });
      }

      unregister(id: RequestId): void {
        this.peer.#outgoing.delete(id);
        this.peer.#maybeFinishClose();
      }

      get congested(): boolean {
        return this.peer.#outbox.congested;
      }

      // The heartbeats' hooks (send and activity are above).
      timedOut(silent: boolean): void {
        this.peer.#fail(
          'idle',
          new TimeoutError(
            silent ? 'nothing arrived, and never a heartbeat, within the silence timeout' : 'no data from the other side within the idle timeout',
          ),
          ProtocolErrorCode.timeout,
        );
      }

      load(): number {
        const load = this.peer.#load;
        return load ? load() : this.peer.#derivedLoad();
      }

      // The outbox's options.
      get maxBacklog(): number {
        return this.settings.limits.maxBacklog;
      }

      overflow(backlog: number): void {
        this.peer.#notReading(`${backlog} bytes unsent (limits.maxBacklog)`);
      }

      written(): void {
        this.account?.backlog(this.peer.#transport.bufferedAmount ?? 0);
      }

      get open(): boolean {
        return this.peer.#state !== 'closed';
      }

      get closing(): boolean {
        return this.peer.#state === 'closing';
      }

      get watched(): boolean {
        return this.peer.#listeners.length > 0;
      }

      // The decoder's admission, when there is a memory budget.
      admit(type: string, id: number, size: number): boolean {
        return this.account!.admit(type, id, size, this.peer.#responder);
      }
    }
    makeHost = (peer) => new Host(peer);
  }

  #register(request: Outgoing, stream: boolean): RequestId {
    if (this.#state === 'closing' || this.#state === 'closed') throw new ClosedError('the connection is closing');
    let id: RequestId;
    if (stream) {
      if (this.#nextStream > 0xffffffff) throw new GotalkError('ID_EXHAUSTED', 'this connection has used all its stream request ids');
      id = this.#nextStream++;
    } else {
      do {
        id = this.nextSingle;
        this.nextSingle = (this.nextSingle + 1) % FIRST_STREAM_ID;
      } while (this.#outgoing.has(id));
    }
    if (this.#outgoing === NO_OUTGOING) this.#outgoing = new Map();
    this.#outgoing.set(id, request);
    return id;
  }

  #congestion(on: boolean): void {
    const before = this.#congestedQueues;
    this.#congestedQueues += on ? 1 : -1;
    if (before === 0 && this.#congestedQueues > 0) {
      this.#heartbeats.reading(true);
      this.#transport.pause();
    } else if (before > 0 && this.#congestedQueues === 0) {
      this.#heartbeats.reading(false);
      this.#transport.resume();
    }
  }

  #receive(chunk: Uint8Array): void {
    if (this.#state === 'closed') return;
    this.#heartbeats.received();
    try {
      this.#decoder.push(chunk, this.#onFrame);
    } catch (err) {
      if (!(err instanceof CodecError) || err.offset < 0) {
        // A fault of this side while handling a frame (a handler's, or a reply the encoder
        // refused): never let it escape into the transport, nor blame the other side for it.
        this.#fail(
          'protocol',
          new ProtocolError(`internal error while handling a frame: ${errorText(err)}`, ProtocolErrorCode.abnormal, false, err),
          ProtocolErrorCode.abnormal,
        );
        return;
      }
      const unsupported = this.#state === 'handshake';
      const code = unsupported ? ProtocolErrorCode.unsupported : ProtocolErrorCode.invalid;
      this.#fail('protocol', new ProtocolError(err.message, code, false, err), code);
    }
  }

  readonly #onFrame = (frame: DecodedFrame): void => {
    if (this.#state === 'closed') return;
    switch (frame.type) {
      case 'r':
      case 's':
        // New work with no payload: no admit call came, but the budget may still be spent.
        if (this.#account !== null && frame.payload.length === 0 && !this.#account.admit(frame.type, frame.id, 0, this.#responder))
          return this.#refused(frame, 0);
        return frame.type === 'r' ? this.#responder.request(frame) : this.#responder.streamRequest(frame);
      case 'p':
        return this.#responder.part(frame);
      case 'R':
      case 'S':
      case 'E':
      case 'e': {
        const request = this.#outgoing.get(frame.id);
        if (request) {
          if (this.#listeners.length > 0) this.#activity(replyEvent('in', frame));
          request.reply(frame);
        } // else a reply to an id no longer in flight (e.g. the Go peer's S after E)
        if (this.#account && frame.payload.length > 0) this.#account.free(frame.payload.length);
        return;
      }
      case 'n':
        this.#notification(frame.name, frame.payload);
        if (this.#account && frame.payload.length > 0) this.#account.free(frame.payload.length);
        return;
      case 'h':
        return this.#heartbeats.heartbeat(frame.load, frame.time);
      case 'f':
        return this.#fail('protocol', new ProtocolError(`the other side reported a protocol error (code ${frame.code})`, frame.code, true), null);
      case 'version':
        return this.#opened();
      case 'oversize': {
        const f = frame.frame;
        if (isReply(f)) this.#outgoing.get(f.id)?.fail(new PayloadTooLargeError(frame.size, this.#settings.limits.maxPayload));
        else this.#responder.oversize(frame);
        return;
      }
      case 'refused':
        return this.#refused(frame.frame, frame.size);
    }
  };

  /** A frame whose payload (`size` bytes) the memory budget could not hold, skipped unread. */
  #refused(f: PayloadFrame, size: number): void {
    // Out of memory while this side's replies pile up unread: the other side is not reading.
    if ((f.type === 'r' || f.type === 's') && this.#outbox.congested) return this.#notReading('the memory budget is spent and replies pile up unread');
    if (isReply(f)) this.#outgoing.get(f.id)?.fail(overBudget(size));
    else if (f.type === 'n') this.#activity({ type: 'error', error: overBudget(size) });
    else this.#responder.refused(f, size);
  }

  /** Closes a connection whose other side does not read what this side sends. */
  #notReading(why: string): void {
    this.#fail('transport', new ClosedError(`the other side is not reading: ${why}`), null);
  }

  #opened(): void {
    if (this.#handshakeTimer !== null) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    if (this.#state === 'handshake') this.#state = 'open';
    this.#activity({ type: 'open' }); // first, before the heartbeat that start() sends at once
    if (this.#state === 'closed') return; // a listener ended the connection
    this.#heartbeats.start();
    this.#isReady = true;
    this.#resolveReady?.();
    this.#resolveReady = this.#rejectReady = null;
  }

  #notification(name: string, payload: Uint8Array): void {
    this.#activity({ type: 'notification', dir: 'in', name, size: payload.length });
    if (name === CANCEL_NOTIFICATION) {
      // The cancel extension: never a handler's. A malformed one names no request and is ignored.
      const id = cancelledId(payload);
      if (id >= 0) this.#responder.cancel(id);
      return;
    }
    if (!isValidName(name)) {
      this.#activity({ type: 'error', error: new GotalkError('INVALID_NAME', `notification name is not valid UTF-8: ${quoteName(name)}`) });
      return;
    }
    const found = this.handlers.findNotification(name);
    if (!found) return;
    const handler = notificationWithHooks(found.fn, found.hooks, this.#hooks);
    const report = (err: unknown) => this.#activity({ type: 'error', error: err instanceof Error ? err : new Error(errorText(err)) });
    try {
      const ctx: NotificationContext = { peer: this as Connection, data: this.data, name, limits: this.#settings.limits };
      const out = handler(payload, ctx);
      if (out && typeof (out as PromiseLike<void>).then === 'function') (out as PromiseLike<void>).then(undefined, report);
    } catch (err) {
      report(err);
    }
  }

  #maybeFinishClose(): void {
    if (this.#state === 'closing' && this.inFlight === 0) this.#finishClose();
  }

  /** Ends a graceful close: `closed` when this side began it, `remote` after the other side's half-close. */
  #finishClose(): void {
    this.#finish(this.#inputDone ? 'remote' : 'closed', null);
  }

  /** Sends `f` with `code` (unless null), then ends the connection with `error`. */
  #fail(reason: CloseReason, error: GotalkError, code: number | null): void {
    if (this.#state === 'closed') return;
    if (code !== null) this.#send({ type: 'f', code });
    this.#finish(reason, error);
  }

  /**
   * The other side finished sending but still reads: nothing more will arrive, so what waits
   * for its replies or its stream input fails now, and the requests being served may finish
   * (within `closeTimeout`) before the connection closes, with reason `remote`.
   */
  #inputEnded(): void {
    if (this.#state === 'closed') return;
    this.#inputDone = true;
    const ended = new ClosedError('the other side ended the connection');
    for (const request of [...this.#outgoing.values()]) request.fail(ended);
    if (this.#responder.busy > 0) this.#responder.failAll(ended);
    void this.close();
  }

  #transportClosed(error: Error | undefined): void {
    if (this.#state === 'closed') return;
    // After the other side's half-close, a failed write (EPIPE) only means it has gone entirely.
    if (this.#inputDone) return this.#finish('remote', null, true);
    // The transport's own reason is in the message too (a worker's exit, say), not only in `cause`.
    if (error) this.#finish('transport', new ClosedError(`the connection failed: ${errorText(error)}`, error), true);
    else this.#finish('remote', null, true);
  }

  /** What `ready` and this side's pending requests fail with: before the handshake, the option `handshakeError` makes it. */
  #unanswered(closed: ClosedError, reason: CloseReason): GotalkError {
    if (this.#isReady || !this.#handshakeError) return closed;
    try {
      return this.#handshakeError(closed, reason);
    } catch {
      return closed; // a faulty hook must not stop the connection from ending
    }
  }

  /** Ends everything once: timers, pending requests, running handlers, the transport. */
  #finish(reason: CloseReason, error: GotalkError | null, abrupt = false): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#closeError = error;
    if (this.#handshakeTimer !== null) clearTimeout(this.#handshakeTimer);
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    this.#heartbeats.stop();
    this.#deadlines.close();
    if (!abrupt) this.#outbox.flush();
    this.#outbox.close();
    // One error for everything still pending, made only if something is (a stack trace costs).
    let failure: ClosedError | undefined;
    const closedError = () => (failure ??= this.#closedError(true));
    let early: GotalkError | undefined;
    const unanswered = () => (early ??= this.#unanswered(closedError(), reason));
    if (this.#outgoing.size > 0) {
      for (const request of [...this.#outgoing.values()]) request.fail(unanswered());
      this.#outgoing.clear();
    }
    if (this.#responder.busy > 0) {
      this.#responder.failAll(closedError());
      this.#responder.abortAll(closedError());
    }
    this.#account?.close();
    if (!this.#isReady) {
      this.#readyError = unanswered(); // kept for a `ready` first read later
      this.#rejectReady?.(this.#readyError);
    }
    if (reason === 'destroyed' || reason === 'transport') this.#transport.destroy(error ?? undefined);
    else if (reason !== 'remote' || this.#inputDone) this.#transport.close(); // after a half-close, end this side too
    const info: CloseInfo = { reason, error };
    this.#activity({ type: 'close', info });
    this.#listeners.length = 0;
    this.#closeInfo = info;
    // Queued before `closed` resolves, so that it runs before whatever awaits `closed`.
    if (this.#onClose) queueMicrotask(() => this.#onClose!(this, info));
    this.#resolveClosed?.(info);
  }
}
