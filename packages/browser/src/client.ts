import {
  Client as ReconnectingClient,
  countOption,
  DEFAULTS,
  type ClientOptions as ReconnectingOptions,
  type OnlineWatcher,
  type Transport,
} from '@gotalk/peer';
import { resolveEndpoint } from './endpoint-url.ts';
import { probeRefusal, type FetchLike } from './refusal-probe.ts';
import { WebSocketTransport, type WebSocketConstructor, type WebSocketLike } from './websocket-transport.ts';

/** Where a client connects: a URL, or a function that gives one afresh for every attempt (a new token in the query, say). */
export type EndpointSource = string | URL | undefined | (() => string | URL | Promise<string | URL>);

/** Options of {@link connect}: those of every reconnecting client (see `ClientOptions` of `@gotalk/peer`), plus the WebSocket's. */
export interface ClientOptions extends ReconnectingOptions {
  /** The WebSocket constructor (default: the global `WebSocket`); pass `ws`'s `WebSocket` in Node. */
  readonly WebSocket?: WebSocketConstructor;
  /** Bytes the WebSocket may buffer before writers wait (an integer, default 1 MiB). */
  readonly highWaterMark?: number;
  /**
   * After an attempt fails before it opens, the client GETs the endpoint's URL over HTTP to learn
   * whether the server refuses this page (`ORIGIN_NOT_ALLOWED`, `HOST_NOT_ALLOWED`): then it
   * gives up with that error rather than retrying forever. This is the `fetch` it uses (default:
   * the global one); `null` turns the probe off.
   */
  readonly fetch?: FetchLike | null;
}

/** The browser's network watcher: `navigator.onLine` and the `online` event, where there are such. */
function browserOnline(): OnlineWatcher | null {
  if (typeof navigator === 'undefined' || typeof addEventListener !== 'function') return null;
  return {
    get offline() {
      return navigator.onLine === false;
    },
    whenOnline(fn) {
      const online = () => {
        removeEventListener('online', online);
        fn();
      };
      addEventListener('online', online);
      return () => removeEventListener('online', online);
    },
  };
}

/** Why a WebSocket attempt failed, with its close code and reason for the client's `close` event. */
function failedAttempt(url: string, code: number, reason: string): Error & { closeCode: number; closeReason: string } {
  return Object.assign(new Error(`WebSocket to ${url} closed with code ${code} before it opened`), { closeCode: code, closeReason: reason });
}

/**
 * A reconnecting client over WebSocket (see `Client` of `@gotalk/peer` for its API, events and
 * semantics): each attempt opens a WebSocket to the endpoint, recomputed by a function when one
 * was given. `url` is the endpoint of the latest attempt.
 */
export class Client extends ReconnectingClient {
  /** Where the latest attempt went (shared with the dialer, which runs before this constructor ends). */
  readonly #latest: { url: string };

  /** Throws BrowserError `BAD_URL` for a URL given as such, and RangeError naming a bad option. */
  constructor(endpoint: EndpointSource, options: ClientOptions = {}) {
    const { WebSocket: ws, highWaterMark, fetch: fetchOption, ...rest } = options;
    const ctor: WebSocketConstructor | undefined = ws ?? (typeof WebSocket === 'function' ? WebSocket : undefined);
    if (!ctor) throw new TypeError('no WebSocket: pass the WebSocket option (the ws package in Node)');
    const latest = { url: typeof endpoint === 'function' ? '' : resolveEndpoint(endpoint) };
    const hwm = countOption(highWaterMark, DEFAULTS.highWaterMark, 'highWaterMark');
    const maxHeld = rest.limits?.maxBacklog;
    const probe = fetchOption !== undefined ? fetchOption : typeof fetch === 'function' ? (fetch as FetchLike) : null;
    super((signal) => openWebSocket(signal, endpoint, latest, { ctor, hwm, maxHeld, probe }), rest, browserOnline());
    this.#latest = latest;
  }

  /** The WebSocket address of the latest attempt. */
  get url(): string {
    return this.#latest.url;
  }
}

/** One attempt: the endpoint (afresh, if it comes from a function), a WebSocket, its transport once open. */
async function openWebSocket(signal: AbortSignal, endpoint: EndpointSource, latest: { url: string }, how: SocketSettings): Promise<Transport> {
  const url = typeof endpoint === 'function' ? resolveEndpoint(await endpoint()) : latest.url;
  latest.url = url;
  try {
    return await openSocket(signal, url, how);
  } catch (failed) {
    // Closed before it opened (1006): a refused upgrade looks like that too. Ask the server why.
    const refusal = how.probe && !signal.aborted && (failed as { closeCode?: number }).closeCode === 1006 ? await probeRefusal(url, signal, how.probe) : null;
    throw refusal ?? failed;
  }
}

/** How each attempt's WebSocket is made. */
interface SocketSettings {
  readonly ctor: WebSocketConstructor;
  readonly hwm: number;
  readonly maxHeld: number | undefined;
  readonly probe: FetchLike | null;
}

/** A WebSocket to `url`, its transport once open; rejects with its close code and reason when it closes first. */
function openSocket(signal: AbortSignal, url: string, { ctor, hwm, maxHeld }: SocketSettings): Promise<Transport> {
  return new Promise((resolve, reject) => {
    let socket: WebSocketLike;
    try {
      socket = new ctor(url);
    } catch {
      // A URL or a page the browser refuses (mixed content, say): retrying may not help, but backoff bounds it.
      return reject(failedAttempt(url, 1006, ''));
    }
    const abandon = () => socket.close(1000); // the connect timeout, or close(): the close event follows
    signal.addEventListener('abort', abandon, { once: true });
    socket.addEventListener('error', () => {});
    socket.addEventListener('close', ({ code = 1006, reason = '' }) => reject(failedAttempt(url, code, reason)));
    socket.addEventListener('open', () => {
      signal.removeEventListener('abort', abandon);
      resolve(new WebSocketTransport(socket, { kind: url.startsWith('wss:') ? 'wss' : 'ws', remote: url }, hwm, maxHeld));
    });
  });
}

/**
 * Connects to the Gotalk WebSocket endpoint at `url` and keeps connected (see {@link Client}).
 * Returns at once: register handlers on `client.handlers` before the first connection opens,
 * and await requests as usual (they wait for the connection). Without `url`, the endpoint is
 * the one that served this script when it has the page's origin (`/gotalk/gotalk.js` →
 * `ws(s)://host/gotalk/`), else `/gotalk/` on the page's host. A relative `url` is resolved
 * against the page; `http(s):` URLs become `ws(s):`; a `#fragment` is dropped. `url` may be a
 * function, called for every attempt (a fresh token, say). Throws BrowserError `BAD_URL`, and
 * RangeError naming a bad option (the client's or the peer's).
 */
export function connect(url?: EndpointSource, options: ClientOptions = {}): Client {
  return new Client(url, options);
}
