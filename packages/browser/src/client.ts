import {
  CallerBase,
  ClosedError,
  countOption,
  DEFAULTS,
  Handlers,
  msOption,
  Peer,
  resolveLimits,
  type ActivityEvent,
  type ActivityListener,
  type CloseInfo,
  type Limits,
  type PartSource,
  type PeerOptions,
  type RequestOptions,
  type ResultStream,
} from '@gotalk/peer';
import { Emitter } from './emitter.ts';
import { resolveEndpoint } from './endpoint-url.ts';
import { BrowserError } from './errors.ts';
import { OfflineQueue } from './offline-queue.ts';
import { reconnectDelay, reconnectPolicy, type ReconnectOptions, type ReconnectPolicy } from './reconnect.ts';
import { WebSocketTransport, type WebSocketConstructor, type WebSocketLike } from './websocket-transport.ts';

/** Options of {@link connect}: the options of each connection's peer, plus how to keep connected. */
export interface ClientOptions extends PeerOptions {
  /**
   * A registry whose handlers every connection serves, behind the client's own `handlers`
   * (a set of handlers shared by several clients, say). The client's `handlers` are enough
   * otherwise.
   */
  readonly handlers?: Handlers;
  /** The WebSocket constructor (default: the global `WebSocket`); pass `ws`'s `WebSocket` in Node. */
  readonly WebSocket?: WebSocketConstructor;
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
  /** Give up on a connection whose WebSocket has not opened and completed its handshake after this many ms (default 10 000; at least 1), and try again. */
  readonly connectTimeout?: number;
  /** Bytes the WebSocket may buffer before writers wait (an integer, default 1 MiB). */
  readonly highWaterMark?: number;
}

/** How a connection, or an attempt at one, ended. */
export interface ConnectionEnd {
  /** The peer's close info; null when the WebSocket never opened. */
  readonly info: CloseInfo | null;
  /**
   * The WebSocket close code and reason when the socket closed first (the server or the network
   * ended the connection; 1006 for a failed attempt); absent when this side ended it (see `info`).
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
   * reconnect `maxDelay`), starts in `delay` ms. The delay is 0 when the browser came back online,
   * or when the server announced a restart (close code 1001 or 1012) and this is the first
   * attempt: a server that closes every connection soon after it opens gets the usual backoff.
   */
  reconnecting: { readonly attempt: number; readonly delay: number };
  /** The browser is offline (`navigator.onLine` is false): waiting for its `online` event. */
  offline: undefined;
}

const RESTART_CODES = [1001, 1012];

/**
 * Where a {@link Client} is: `connecting` (a WebSocket opening, or its handshake), `open`
 * (handshake done), `waiting` (for the next attempt, after a backoff delay), `offline` (for the
 * browser's `online` event), `closed` (by `close()`, or without reconnection after the first end).
 */
export type ClientState = 'connecting' | 'open' | 'waiting' | 'offline' | 'closed';

function browserOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false && typeof addEventListener === 'function';
}

/**
 * A Gotalk connection that keeps itself up: it has the API of a {@link Peer} and outlives the
 * peers of its successive WebSocket connections. Handlers registered on `client.handlers` are
 * served on every connection. A request goes to the current connection; made while disconnected,
 * it waits for the next one or fails at once (the `offline` option). A request in flight when its
 * connection drops fails with the peer's `ClosedError` (code `CLOSED`) and is never resent: only
 * the caller knows whether it may run twice.
 */
export class Client extends CallerBase {
  /** The client's handlers, served on every connection (each peer's own `handlers` are per connection). */
  readonly handlers: Handlers;
  /** The WebSocket address. */
  readonly url: string;

  readonly #WebSocket: WebSocketConstructor;
  readonly #peerOptions: PeerOptions;
  readonly #policy: ReconnectPolicy | false;
  readonly #failOffline: boolean;
  readonly #queue: OfflineQueue;
  readonly #connectTimeout: number;
  readonly #highWaterMark: number;
  readonly #activity: ActivityListener[] = [];
  readonly #events = new Emitter<ClientEvents>();
  readonly #limits: Limits;
  #state: ClientState = 'connecting';
  #current: Peer | null = null;
  /** When the current peer completed its handshake (performance.now()). */
  #openedAt = 0;
  #socket: WebSocketLike | null = null;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopWaitingOnline: (() => void) | null = null;
  #load: number | undefined;
  /** Resolves once `close()` has closed everything. */
  #stopped: Promise<void> | null = null;
  #resolveStopped: () => void = () => {};

  constructor(url: string | URL | undefined, options: ClientOptions = {}) {
    super();
    this.url = resolveEndpoint(url);
    const { WebSocket: ws, reconnect, offline, queueLimit, queueTimeout, connectTimeout, highWaterMark, handlers, onActivity, ...peerOptions } = options;
    const ctor: WebSocketConstructor | undefined = ws ?? (typeof WebSocket === 'function' ? WebSocket : undefined);
    if (!ctor) throw new TypeError('no WebSocket: pass the WebSocket option (the ws package in Node)');
    this.#WebSocket = ctor;
    this.handlers = new Handlers(handlers);
    this.#peerOptions = { ...peerOptions, handlers: this.handlers, onActivity: (e) => this.#report(e) };
    this.#limits = resolveLimits(this.#peerOptions); // a bad option throws here, not in the WebSocket's open event
    if (onActivity) this.#activity.push(onActivity);
    this.#policy = reconnect === false ? false : reconnectPolicy(reconnect ?? {});
    this.#failOffline = offline === 'fail';
    this.#queue = new OfflineQueue(countOption(queueLimit, 100, 'queueLimit'), msOption(queueTimeout, 10_000, 'queueTimeout'));
    this.#connectTimeout = msOption(connectTimeout, DEFAULTS.connectTimeout, 'connectTimeout', 1);
    this.#highWaterMark = countOption(highWaterMark, DEFAULTS.highWaterMark, 'highWaterMark');
    this.#dial();
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
    this.#activity.push(listener);
    return () => {
      const i = this.#activity.indexOf(listener);
      if (i >= 0) this.#activity.splice(i, 1);
    };
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
    this.#queue.fail();
    if (this.#current) void this.#current.close();
    else if (this.#socket) this.#socket.close(1000);
    else this.#resolveStopped();
    return this.#stopped;
  }

  // ----- internals -----

  #report(event: ActivityEvent): void {
    for (const l of [...this.#activity]) {
      try {
        l(event);
      } catch {
        // as on a peer: a listener's failure is not the connection's
      }
    }
  }

  #via<T>(options: RequestOptions, use: (peer: Peer) => Promise<T>): Promise<T> {
    const peer = this.peer;
    return peer ? use(peer) : this.#wait(options).then(use);
  }

  /** Why a request made now, while disconnected, cannot wait; null when it can. */
  #refusal(): Error | null {
    if (this.#state === 'closed') return new ClosedError('the client is closed');
    if (this.#failOffline) return new BrowserError('OFFLINE', 'not connected');
    return this.#queue.refusal();
  }

  #wait(options: RequestOptions): Promise<Peer> {
    const refused = this.#refusal();
    return refused ? Promise.reject(refused) : this.#queue.wait(options.signal);
  }

  /** Opens a WebSocket and, once it is open, a peer on it. */
  #dial(): void {
    this.#timer = undefined;
    this.#state = 'connecting';
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(this.url);
    } catch {
      // A URL or a page the browser refuses (mixed content, say): retrying may not help, but backoff bounds it.
      return this.#ended(null, { info: null, code: 1006 });
    }
    this.#socket = socket;
    let peer: Peer | null = null;
    let socketEnd: { code: number; reason: string } | undefined;
    const connectTimer = setTimeout(() => socket.close(), this.#connectTimeout);
    socket.addEventListener('error', () => {});
    socket.addEventListener('close', ({ code = 1006, reason = '' }) => {
      clearTimeout(connectTimer);
      socketEnd = { code, reason };
      if (!peer) this.#ended(socket, { info: null, code, reason });
    });
    socket.addEventListener('open', () => {
      if (this.#state === 'closed') {
        clearTimeout(connectTimer);
        return socket.close(1000);
      }
      const kind = this.url.startsWith('wss:') ? 'wss' : 'ws';
      const p = (peer = new Peer(new WebSocketTransport(socket, { kind, remote: this.url }, this.#highWaterMark, this.#peerOptions.limits?.maxBacklog), this.#peerOptions));
      this.#current = p;
      if (this.#load !== undefined) p.setLoad(this.#load);
      void p.ready.then(
        () => {
          clearTimeout(connectTimer); // the timeout covers the handshake too, as connect()'s in Node
          if (this.#current !== p || this.#state === 'closed') return;
          this.#state = 'open';
          this.#openedAt = performance.now();
          this.#events.emit('open', p);
        },
        () => {},
      );
      // The socket's close event, when it comes first, runs before the peer sees it: its code is known here.
      void p.closed.then((info) => this.#ended(socket, { info, ...socketEnd }));
      this.#queue.release(p);
    });
  }

  /** A connection or an attempt ended (once per socket): report it and plan the next attempt. */
  #ended(socket: WebSocketLike | null, end: ConnectionEnd): void {
    if (socket && socket !== this.#socket) return;
    // Only a connection that stayed up restarts the count (and so allows an immediate reconnect).
    if (this.#state === 'open' && this.#policy && performance.now() - this.#openedAt >= this.#policy.maxDelay) this.#attempt = 0;
    this.#socket = null;
    this.#current = null;
    this.#events.emit('close', end);
    if (this.#state === 'closed') return this.#resolveStopped();
    if (!this.#policy) {
      void this.close();
      return;
    }
    if (browserOffline()) {
      const online = () => {
        this.#stopWaitingOnline = null;
        removeEventListener('online', online);
        this.#retry(0);
      };
      addEventListener('online', online);
      this.#stopWaitingOnline = () => removeEventListener('online', online);
      this.#state = 'offline';
      this.#events.emit('offline', undefined);
      return;
    }
    const restart = this.#attempt === 0 && end.code !== undefined && RESTART_CODES.includes(end.code);
    this.#retry(restart ? 0 : reconnectDelay(this.#attempt + 1, this.#policy));
  }

  #retry(delay: number): void {
    this.#state = 'waiting';
    this.#attempt++;
    this.#events.emit('reconnecting', { attempt: this.#attempt, delay });
    this.#timer = setTimeout(() => this.#dial(), delay);
  }
}

/**
 * Connects to the Gotalk WebSocket endpoint at `url` and keeps connected (see {@link Client}).
 * Returns at once: register handlers on `client.handlers` before the first connection opens,
 * and await requests as usual (they wait for the connection). Without `url`, the endpoint is
 * the one that served this script when it has the page's origin (`/gotalk/gotalk.js` →
 * `ws(s)://host/gotalk/`), else `/gotalk/` on the page's host. A relative `url` is resolved
 * against the page; `http(s):` URLs become `ws(s):`; a `#fragment` is dropped. Throws
 * BrowserError `BAD_URL`, and RangeError naming a bad option (the client's or the peer's).
 */
export function connect(url?: string | URL, options: ClientOptions = {}): Client {
  return new Client(url, options);
}
