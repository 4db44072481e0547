import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DEFAULT_MAX_PAYLOAD, messageLimit } from '@gotalk/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Bundle } from './bundle.ts';
import { NodeError } from './errors.ts';
import { checkHostPolicy, hostAllowed, hostOf, type HostPolicy } from './host-policy.ts';
import { acceptsGzip, etagMatches } from './http-negotiation.ts';

/** Which page origins may open a WebSocket: a list, a predicate, or `*` for any. */
export type OriginPolicy = '*' | readonly string[] | ((origin: string, request: IncomingMessage) => boolean);

/** Options of a WebSocket endpoint. */
export interface WebSocketEndpointOptions {
  /** The mount path, with a trailing slash (default `/gotalk/`). The bundle is served at `<path>gotalk.js`. */
  readonly path?: string;
  /**
   * Allowed `Origin`s. Default: requests without an `Origin` (non-browser clients) and pages
   * from the same host as the endpoint; `*` allows every origin.
   */
  readonly origins?: OriginPolicy;
  /**
   * The host names, besides loopback names (`localhost`, `*.localhost`) and IP literals, that
   * browsers may reach the endpoint under: an upgrade with an `Origin` whose `Host` names
   * anything else is refused (403), which defeats DNS rebinding. A name with a leading dot
   * (`.example.com`) allows its subdomains too; `'*'` allows every host (behind a proxy that
   * checks names itself). Default: none. Upgrades without an `Origin` come from programs, not
   * pages, and are not checked.
   */
  readonly allowedHosts?: HostPolicy;
  /**
   * Told of each upgrade refused for its `Host` (`HOST_NOT_ALLOWED`) or its `Origin`
   * (`ORIGIN_NOT_ALLOWED`), after the 403 is sent: browsers do not show pages why a WebSocket
   * failed, so this is where a server can say it. What the hook throws is ignored.
   */
  readonly onRefused?: (error: NodeError, request: IncomingMessage) => void;
  /** The browser bundle to serve at `<path>gotalk.js`, or null to answer 404. */
  readonly bundle?: Bundle | null;
  /**
   * The largest incoming WebSocket message in bytes (`ws` buffers a message whole before
   * handing it on). The server sets it from the peers' payload limit with `messageLimit()`.
   */
  readonly maxMessage?: number;
}

/** Whether the origin policy allows `request`; a predicate that throws refuses it. */
function originAllowed(policy: OriginPolicy | undefined, request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (policy === '*') return true;
  if (typeof policy === 'function') {
    try {
      return Boolean(policy(origin ?? '', request));
    } catch {
      return false;
    }
  }
  if (policy) return origin !== undefined && policy.includes(origin);
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host?.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * The path of a request's target, or null when it does not parse. Node's HTTP parser accepts
 * targets such as `//` that `new URL()` rejects: that must never throw inside a listener.
 */
export function requestPath(req: IncomingMessage): string | null {
  try {
    return new URL(req.url ?? '/', 'http://x').pathname;
  } catch {
    return null;
  }
}

/** What an endpoint's `admit` resolves to for a connection over a server's caps: answered 503. */
export const TOO_MANY: unique symbol = Symbol('too many connections');

/** Answers an upgrade with `status`, the reason phrase `reason` and `body` (default: the reason). */
function refuse(socket: Duplex, status: number, reason: string, body = reason): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Why a browser's upgrade is refused for its `Host`, or null when the host is allowed (or the
 * request has no `Origin`, so no page made it).
 */
function hostRefusal(policy: HostPolicy | undefined, request: IncomingMessage): NodeError | null {
  if (policy === '*' || request.headers.origin === undefined) return null;
  const host = hostOf(request.headers.host);
  if (host !== null && hostAllowed(policy, host)) return null;
  const named = host === null ? 'a missing or malformed Host header' : `the host ${host}`;
  return new NodeError(
    'HOST_NOT_ALLOWED',
    `refused a WebSocket upgrade from a page for ${named}: only loopback names, IP addresses and the names in the allowedHosts option reach this server from a browser (a page under another name may be a DNS rebinding attack). If ${host ?? 'it'} is a name of this server, add it to allowedHosts (ws.allowedHosts; gotalk serve --allow-host ${host ?? 'NAME'})`,
  );
}

/**
 * The HTTP side of a Gotalk WebSocket endpoint: serves the browser bundle and upgrades
 * requests at its path, checking the host and the origin. The bundle is served whatever the
 * host: it is public, and any page can load it with a script tag anyway. `onSocket` receives each accepted WebSocket with
 * its upgrade request; it may reject before the upgrade by returning false from `admit` (403),
 * or the `TOO_MANY` symbol (503).
 */
export class WebSocketEndpoint {
  readonly path: string;
  private readonly wss: WebSocketServer;

  constructor(
    private readonly options: WebSocketEndpointOptions,
    private readonly admit: (request: IncomingMessage) => Promise<unknown | false>,
    private readonly onSocket: (socket: WebSocket, request: IncomingMessage, data: unknown) => void,
  ) {
    checkHostPolicy(options.allowedHosts);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessage ?? messageLimit(DEFAULT_MAX_PAYLOAD), perMessageDeflate: false });
    const path = options.path ?? '/gotalk/';
    this.path = path.endsWith('/') ? path : `${path}/`;
  }

  /**
   * Serves `<path>gotalk.js` to GET and HEAD (ETag and `If-None-Match` → 304, gzip when accepted;
   * other methods get 405), and answers a GET or HEAD of `<path>` itself with whether a page of
   * the request's origin may upgrade (see `answerProbe`). Returns false for requests it does not own.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const path = requestPath(req);
    if ((path === this.path || path === this.path.slice(0, -1)) && (req.method === 'GET' || req.method === 'HEAD')) {
      this.answerProbe(req, res);
      return true;
    }
    if (path !== `${this.path}gotalk.js`) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end(`${req.method} is not allowed here: gotalk.js is read with GET\n`);
      return true;
    }
    const bundle = this.options.bundle;
    if (!bundle) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('gotalk.js is not built: build @gotalk/browser (pnpm --filter @gotalk/browser build)\n');
      return true;
    }
    const headers: Record<string, string> = {
      'content-type': 'text/javascript; charset=utf-8',
      etag: bundle.etag,
      'cache-control': 'no-cache',
      vary: 'accept-encoding',
    };
    if (etagMatches(req.headers['if-none-match'], bundle.etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const gzip = acceptsGzip(req.headers['accept-encoding']);
    const body = gzip ? bundle.gzip : bundle.body;
    res.writeHead(200, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  /** Upgrades a request at this endpoint's path. Returns false for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    // First: the http server no longer handles this socket's errors, and writing a refusal (ours,
    // or the caller's 404 when this returns false) to a client that already reset the connection
    // would otherwise crash the process.
    socket.on('error', () => socket.destroy());
    const path = requestPath(req);
    const bare = this.path.slice(0, -1);
    if (path !== this.path && path !== bare) return false;
    const refusal = this.refusal(req);
    if (refusal) {
      refuse(socket, 403, refusal.code === 'HOST_NOT_ALLOWED' ? 'Forbidden host' : 'Forbidden origin', `${refusal.message}\n`);
      this.refused(refusal, req);
      return true;
    }
    this.admit(req).then(
      (data) => {
        if (data === false) return refuse(socket, 403, 'Forbidden');
        if (data === TOO_MANY) return refuse(socket, 503, 'Too many connections');
        this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, req, data));
      },
      () => refuse(socket, 500, 'Accept hook failed'),
    );
    return true;
  }

  /** Why an upgrade like `request` is refused for its `Host` or its `Origin`, or null when it would pass both. */
  private refusal(request: IncomingMessage): NodeError | null {
    const badHost = hostRefusal(this.options.allowedHosts, request);
    if (badHost) return badHost;
    if (originAllowed(this.options.origins, request)) return null;
    const origin = request.headers.origin;
    return new NodeError(
      'ORIGIN_NOT_ALLOWED',
      `refused a WebSocket upgrade from the origin ${origin === undefined ? '(none)' : JSON.stringify(origin)}: not allowed by the origins option (ws.origins; gotalk serve --origin)`,
    );
  }

  /**
   * Answers a plain GET or HEAD of the endpoint's own path, which browsers' clients send after a
   * failed upgrade because a page cannot read why a WebSocket failed: 403 with
   * `{"gotalk":"refused","code":"ORIGIN_NOT_ALLOWED"|"HOST_NOT_ALLOWED","message":…}` when an
   * upgrade from this request's `Origin` and `Host` would be refused, else 426 (use a WebSocket)
   * with `{"gotalk":"endpoint"}`. Readable from any origin (`Access-Control-Allow-Origin: *`): it
   * says only what the asking page's own upgrade would get. Nothing is told to `onRefused`.
   */
  private answerProbe(req: IncomingMessage, res: ServerResponse): void {
    const refusal = this.refusal(req);
    const body = JSON.stringify(
      refusal
        ? { gotalk: 'refused', code: refusal.code, message: refusal.message }
        : { gotalk: 'endpoint', message: 'a Gotalk WebSocket endpoint: connect to it with a WebSocket' },
    );
    res.writeHead(refusal ? 403 : 426, {
      'content-type': 'application/json; charset=utf-8',
      'access-control-allow-origin': '*',
      'cache-control': 'no-store',
      'content-length': String(Buffer.byteLength(body)),
      ...(refusal ? {} : { upgrade: 'websocket', connection: 'Upgrade' }),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Tells `onRefused`; a hook that throws must not take the process down from inside an `upgrade` listener. */
  private refused(error: NodeError, request: IncomingMessage): void {
    try {
      this.options.onRefused?.(error, request);
    } catch {
      // the refusal is already sent; nothing else depends on the hook
    }
  }

  /** Closes the WebSocket server part (open sockets are closed by their peers). */
  close(): void {
    this.wss.close();
  }
}
