import { CallerBase, type PartSource, type RequestOptions, type ResultStream } from './api.ts';
import { deliver, subscribe, type ActivityEvent, type ActivityListener, type CloseInfo } from './activity.ts';
import { DEFAULTS, type Limits } from './defaults.ts';
import { Emitter } from './emitter.ts';
import { ClientError, ClosedError } from './errors.ts';
import { Handlers } from './handlers.ts';
import { OfflineQueue } from './offline-queue.ts';
import { countOption, msOption, resolveLimits, type PeerOptions } from './options.ts';
import { Peer } from './peer.ts';
import { reconnectDelay, reconnectPolicy, type ReconnectOptions, type ReconnectPolicy } from './reconnect.ts';
import type { Transport } from './transport.ts';

/**
 * Opens one connection: resolves with its transport once it is connected (before the Gotalk
 * handshake, which the client does), or rejects. Called for every attempt, so it may compute
 * its parameters afresh each time (a new token, an address from service discovery). Aborting
 * `signal` (the connect timeout, or `close()`) must abandon the attempt. A rejection may carry
 * a WebSocket close code and reason as `closeCode` and `closeReason`. A rejection whose error
 * has `final: true` says that trying again cannot help (the server refuses this client: a page
 * of an origin it does not allow): the client gives up (see {@link ClientEvents.failed}).
 */
export type Dial = (signal: AbortSignal) => Promise<Transport>;

/** How a runtime tells the client that its network is gone and back (the browser's `navigator.onLine`). */
export interface OnlineWatcher {
  /** True while the runtime knows it has no network: the client waits for `whenOnline` instead of retrying. */
  readonly offline: boolean;
  /** Calls `fn` once the network is back; returns the function that stops waiting. */
  whenOnline(fn: () => void): () => void;
}

/** Options of a reconnecting {@link Client}: the options of each connection's peer, plus how to keep connected. */
export interface ClientOptions extends PeerOptions {
  /**
   * A registry whose handlers every connection serves, behind the client's own `handlers`
   * (a set of handlers shared by several clients, say). The client's `handlers` are enough
   * otherwise.
   */
  readonly handlers?: Handlers;
  /**
   * Reconnection backoff, or `false` to stay disconnected after the first connection ends.
   * Attempts count up from the last connection that stayed up for `maxDelay` ms.
   */
  readonly reconnect?: ReconnectOptions | false;
  /**
   * What requests and notifications made while disconnected do: `queue` (default) waits for the
   * next connection (see `queueLimit`, `queueTimeout`); `fail` fails at once with `OFFLINE`.
   */
  readonly offline?: 'queue' | 'fail';
  /** At most this many requests wait for a connection (an integer, default 100); more fail with `QUEUE_FULL`. */
  readonly queueLimit?: number;
  /** A request waits this many ms for a connection (default 10 000; 0 without limit), then fails with `QUEUE_TIMEOUT`. */
  readonly queueTimeout?: number;
  /** Give up on an attempt that has not connected and completed its handshake after this many ms (default 10 000; at least 1), and try again. */
  readonly connectTimeout?: number;
}

/** How a connection, or an attempt at one, ended. */
export interface ConnectionEnd {
  /** The peer's close info; null when the attempt never connected. */
  readonly info: CloseInfo | null;
  /** Why an attempt failed; absent after a connection, and for an attempt this side abandoned. */
  readonly error?: Error;
  /**
   * The WebSocket close code and reason when the socket closed first (the server or the network
   * ended the connection; 1006 for a failed attempt); absent when this side ended it (see
   * `info`), and for transports other than WebSocket.
   */
  readonly code?: number;
  readonly reason?: string;
}

/** The events of a {@link Client}. */
export interface ClientEvents {
  /** A connection is open and its handshake done; `peer` is the client's peer from now on. */
  open: Peer;
  /** A connection, or an attempt at one, ended. */
  close: ConnectionEnd;
  /**
   * The next attempt, `attempt` (1, 2, … since the last connection that stayed up for the
   * reconnect `maxDelay`), starts in `delay` ms. The delay is 0 when the network came back, or
   * when the server announced a restart (WebSocket close code 1001 or 1012) and this is the first
   * attempt: a server that closes every connection soon after it opens gets the usual backoff.
   */
  reconnecting: { readonly attempt: number; readonly delay: number };
  /** The runtime is offline: waiting for it to come back online. */
  offline: undefined;
  /**
   * The client gave up for good, after the `close` event of an attempt whose error said that
   * retrying cannot help (a `final` dial error, such as the browser client's
   * `ORIGIN_NOT_ALLOWED`). It is closed: waiting and later requests fail with this error.
   */
  failed: Error;
}

/**
 * Where a {@link Client} is: `connecting` (an attempt, or its handshake), `open` (handshake
 * done), `waiting` (for the next attempt, after a backoff delay), `offline` (for the network to
 * come back), `closed` (by `close()`, or without reconnection after the first end).
 */
export type ClientState = 'connecting' | 'open' | 'waiting' | 'offline' | 'closed';

/** WebSocket close codes by which a server announces a restart: the first attempt after one is immediate. */
const RESTART_CODES = [1001, 1012];

/** What a transport may say about how its WebSocket closed. */
interface CloseCodes {
  readonly closeCode?: number;
  readonly closeReason?: string;
}

/**
 * A Gotalk connection that keeps itself up, over any transport a {@link Dial} function opens:
 * it has the API of a {@link Peer} and outlives the peers of its successive connections.
 * Handlers registered on `client.handlers` are served on every connection. A request goes to the
 * current connection; made while disconnected, it waits for the next one or fails at once (the
 * `offline` option). A request in flight when its connection drops fails with the peer's
 * `ClosedError` (code `CLOSED`) and is never resent: only the caller knows whether it may run
 * twice. The runtimes give it their dialers: `connect()` of `@gotalk/browser` (WebSocket) and
 * `connectClient()` of `@gotalk/node` (any address).
 */
export class Client extends CallerBase {
  /** The client's handlers, served on every connection (each peer's own `handlers` are per connection). */
  readonly handlers: Handlers;

  readonly #dialer: Dial;
  readonly #online: OnlineWatcher | null;
  readonly #peerOptions: PeerOptions;
  readonly #policy: ReconnectPolicy | false;
  readonly #failOffline: boolean;
  readonly #queue: OfflineQueue;
  readonly #connectTimeout: number;
  readonly #activity: ActivityListener[] = [];
  readonly #events = new Emitter<ClientEvents>();
  readonly #limits: Limits;
  #state: ClientState = 'connecting';
  #current: Peer | null = null;
  /** When the current peer completed its handshake (performance.now()). */
  #openedAt = 0;
  /** Abandons the attempt or the connection in progress. */
  #attempt: AbortController | null = null;
  #attempts = 0;
  #timer: unknown = null;
  #stopWaitingOnline: (() => void) | null = null;
  #load: number | undefined;
  /** Resolves once `close()` has closed everything. */
  #stopped: Promise<void> | null = null;
  #resolveStopped: () => void = () => {};
  /** The final error the client gave up with, if it did. */
  #failure: Error | null = null;

  /**
   * Starts connecting at once through `dial`. Throws RangeError naming a bad option (the
   * client's or the peer's). `online` is the runtime's network watcher, if it has one.
   */
  constructor(dial: Dial, options: ClientOptions = {}, online: OnlineWatcher | null = null) {
    super();
    const { reconnect, offline, queueLimit, queueTimeout, connectTimeout, handlers, onActivity, ...peerOptions } = options;
    this.#dialer = dial;
    this.#online = online;
    this.handlers = new Handlers(handlers);
    this.#peerOptions = { ...peerOptions, handlers: this.handlers, onActivity: (e) => this.#report(e) };
    this.#limits = resolveLimits(this.#peerOptions); // a bad option throws here, not at the first connection
    if (onActivity) this.#activity.push(onActivity);
    this.#policy = reconnect === false ? false : reconnectPolicy(reconnect ?? {});
    this.#failOffline = offline === 'fail';
    this.#queue = new OfflineQueue(countOption(queueLimit, 100, 'queueLimit'), msOption(queueTimeout, 10_000, 'queueTimeout'));
    this.#connectTimeout = msOption(connectTimeout, DEFAULTS.connectTimeout, 'connectTimeout', 1);
    this.#dial(); // the first attempt starts now (its transport is handed to a peer once it connects)
  }

  /** Calls `fn` on each `event` (see {@link ClientEvents}) until the returned function is called. */
  on<K extends keyof ClientEvents>(event: K, fn: (value: ClientEvents[K]) => void): () => void {
    return this.#events.on(event, fn);
  }

  protected get jsonLimits(): Limits {
    return this.#limits;
  }

  /** The current connection's peer (possibly still in its handshake), or null while disconnected. */
  get peer(): Peer | null {
    return this.#current?.open ? this.#current : null;
  }

  /** True while a connection is open (handshake done) and not closing. */
  get connected(): boolean {
    return this.#state === 'open' && this.#current!.open;
  }

  /** Where the client is now (see {@link ClientState}). */
  get state(): ClientState {
    return this.#state;
  }

  /** The error the client gave up with (see {@link ClientEvents.failed}); null while it has not. */
  get error(): Error | null {
    return this.#failure;
  }

  // ----- the peer API, on whichever connection is current -----

  /** Sends a request with a raw payload; see {@link Peer.requestBytes}. */
  requestBytes(op: string, payload: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    return this.#via(options, (p) => p.requestBytes(op, payload, options));
  }

  /** Opens a stream call; see {@link Peer.stream}. While disconnected it starts on the next connection. */
  stream(op: string, input?: PartSource | Uint8Array, options: RequestOptions = {}): ResultStream {
    const peer = this.peer;
    if (peer) return peer.stream(op, input, options);
    const opened = this.#wait(options).then((p) => p.stream(op, input, options));
    opened.catch(() => {});
    return {
      async *[Symbol.asyncIterator]() {
        yield* await opened;
      },
      collect: () => opened.then((s) => s.collect()),
    };
  }

  /**
   * Sends a notification with a raw payload. While disconnected it is queued like a request (a
   * failure to send it later is reported as an `error` activity event), or throws with
   * `offline: 'fail'`. `notify()` (JSON or typed) sends through it.
   */
  notifyBytes(name: string, payload: Uint8Array): void {
    const peer = this.peer;
    if (peer) return peer.notifyBytes(name, payload);
    const refused = this.#refusal();
    if (refused) throw refused;
    this.#wait({})
      .then((p) => p.notifyBytes(name, payload))
      .catch((error: Error) => this.#report({ type: 'error', error })); // sending may fail too (size, name)
  }

  /** Subscribes to the activity events of every connection; returns the unsubscribe function. */
  onActivity(listener: ActivityListener): () => void {
    return subscribe(this.#activity, listener);
  }

  /** Sets the load sent in heartbeats on this and later connections; see {@link Peer.setLoad}. */
  setLoad(load: number | undefined): void {
    this.#load = load;
    this.#current?.setLoad(load);
  }

  /**
   * Stops reconnecting and closes: requests waiting for a connection fail with `CLOSED`, the
   * current connection closes gracefully (see {@link Peer.close}). Resolves once it is closed.
   */
  close(): Promise<void> {
    if (this.#stopped) return this.#stopped;
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
    this.#state = 'closed';
    clearTimeout(this.#timer);
    this.#stopWaitingOnline?.();
    this.#queue.fail(this.#failure ?? undefined);
    if (this.#current) void this.#current.close();
    else if (this.#attempt) this.#attempt.abort();
    else this.#resolveStopped();
    return this.#stopped;
  }

  // ----- internals -----

  #report(event: ActivityEvent): void {
    deliver(this.#activity, event);
  }

  #via<T>(options: RequestOptions, use: (peer: Peer) => Promise<T>): Promise<T> {
    const peer = this.peer;
    return peer ? use(peer) : this.#wait(options).then(use);
  }

  /** Why a request made now, while disconnected, cannot wait; null when it can. */
  #refusal(): Error | null {
    if (this.#state === 'closed') return this.#failure ?? new ClosedError('the client is closed');
    if (this.#failOffline) return new ClientError('OFFLINE', 'not connected');
    return this.#queue.refusal();
  }

  #wait(options: RequestOptions): Promise<Peer> {
    const refused = this.#refusal();
    return refused ? Promise.reject(refused) : this.#queue.wait(options.signal);
  }

  /** One attempt: dial, then a peer on the transport; the connect timeout covers both. */
  #dial(): void {
    this.#timer = null;
    if (this.#state === 'closed') return this.#resolveStopped();
    this.#state = 'connecting';
    const attempt = (this.#attempt = new AbortController());
    const connectTimer = setTimeout(() => attempt.abort(), this.#connectTimeout);
    let dialing: Promise<Transport>;
    try {
      dialing = this.#dialer(attempt.signal);
    } catch (err) {
      dialing = Promise.reject(err);
    }
    dialing.then(
      (transport) => {
        if (attempt.signal.aborted) {
          // Connected just as it was abandoned (timed out, or closed meanwhile).
          clearTimeout(connectTimer);
          transport.destroy();
          return this.#ended(attempt, { info: null });
        }
        const p = new Peer(transport, this.#peerOptions);
        this.#current = p;
        if (this.#load !== undefined) p.setLoad(this.#load);
        const abandon = () => p.destroy();
        attempt.signal.addEventListener('abort', abandon, { once: true });
        void p.ready.then(
          () => {
            clearTimeout(connectTimer);
            attempt.signal.removeEventListener('abort', abandon);
            if (this.#current !== p || this.#state === 'closed') return;
            this.#state = 'open';
            this.#openedAt = performance.now();
            this.#events.emit('open', p);
          },
          () => {},
        );
        void p.closed.then((info) => {
          clearTimeout(connectTimer);
          // A WebSocket's close event comes before the peer sees the end: its code is known here.
          const { closeCode, closeReason } = transport as Transport & CloseCodes;
          this.#ended(attempt, { info, ...(closeCode === undefined ? {} : { code: closeCode, reason: closeReason ?? '' }) });
        });
        this.#queue.release(p);
      },
      (error: Error & CloseCodes) => {
        clearTimeout(connectTimer);
        const { closeCode, closeReason } = error ?? {};
        this.#ended(attempt, {
          info: null,
          ...(attempt.signal.aborted ? {} : { error }),
          ...(closeCode === undefined ? {} : { code: closeCode, reason: closeReason ?? '' }),
        });
      },
    );
  }

  /** A connection or an attempt ended (once per attempt): report it and plan the next attempt. */
  #ended(attempt: AbortController, end: ConnectionEnd): void {
    if (attempt !== this.#attempt) return;
    // Only a connection that stayed up restarts the count (and so allows an immediate reconnect).
    if (this.#state === 'open' && this.#policy && performance.now() - this.#openedAt >= this.#policy.maxDelay) this.#attempts = 0;
    this.#attempt = null;
    this.#current = null;
    this.#events.emit('close', end);
    if (this.#state === 'closed') return this.#resolveStopped();
    if ((end.error as { final?: unknown } | undefined)?.final === true) {
      this.#failure = end.error!;
      void this.close();
      this.#events.emit('failed', end.error!);
      return;
    }
    if (!this.#policy) {
      void this.close();
      return;
    }
    if (this.#online?.offline) {
      this.#state = 'offline';
      this.#stopWaitingOnline = this.#online.whenOnline(() => {
        this.#stopWaitingOnline = null;
        this.#retry(0);
      });
      this.#events.emit('offline', undefined);
      return;
    }
    const restart = this.#attempts === 0 && end.code !== undefined && RESTART_CODES.includes(end.code);
    this.#retry(restart ? 0 : reconnectDelay(this.#attempts + 1, this.#policy));
  }

  #retry(delay: number): void {
    this.#state = 'waiting';
    this.#attempts++;
    this.#events.emit('reconnecting', { attempt: this.#attempts, delay });
    this.#timer = setTimeout(() => this.#dial(), delay);
  }
}
