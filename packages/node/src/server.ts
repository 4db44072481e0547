import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TlsOptions, TLSSocket } from 'node:tls';
import {
  Audience,
  broadcastSettings,
  checkPeerOptions,
  ClosedError,
  countOption,
  DEFAULTS,
  Groups,
  Handlers,
  inGroups,
  MemoryBudget,
  msOption,
  Peer,
  resolveLimits,
  type ActivityEvent,
  type AudienceHost,
  type BroadcastOptions,
  type CloseInfo,
  type Connection,
  type GroupsOptions,
  type Middleware,
  type PeerOptions,
  type Transport,
  type TransportInfo,
} from '@gotalk/peer';
import { DEFAULT_MAX_PAYLOAD, messageLimit } from '@gotalk/protocol';
import type { WebSocket } from 'ws';
import { formatAddress, hostPort, parseAddress, type Address } from './address.ts';
import { loadBrowserBundle } from './bundle.ts';
import { ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './connection-limits.ts';
import { NodeError } from './errors.ts';
import { SocketTransport } from './socket-transport.ts';
import { adoptServer, listenHttp, listenSockets, type Listener } from './listen.ts';
import { requestPath, TOO_MANY, WebSocketEndpoint, type WebSocketEndpointOptions } from './ws-endpoint.ts';
import { WebSocketTransport } from './ws-transport.ts';

/** What an accept hook sees of a new connection, before any Gotalk byte is read. */
export interface ConnectionInfo extends TransportInfo {
  /** TLS: the client certificate (empty object when none was sent) and whether it was verified. */
  readonly certificate?: ReturnType<TLSSocket['getPeerCertificate']>;
  readonly authorized?: boolean;
  /** WebSocket: the HTTP upgrade request (headers, url, origin). */
  readonly request?: IncomingMessage;
}

/**
 * Decides on a new connection: return (or resolve) `false` to reject it; any other value
 * becomes the peer's `data`, of type `D`, which handlers see as `ctx.data` (a server made with an
 * accept hook is typed by it: `new Server({ accept })` is a `Server<D>`). A hook that throws
 * rejects the connection.
 */
export type AcceptHook<D = unknown> = (info: ConnectionInfo) => D | false | PromiseLike<D | false>;

/**
 * Options of {@link listen}: the options of each connection's peer (limits, heartbeats,
 * timeouts, flat, as for `connect()` and the browser client; a server's peers default to
 * `silenceTimeout: 60 000`, see {@link DEFAULT_SERVER_BUDGETS}), plus the server's own.
 */
export interface ServerOptions<D = unknown> extends Omit<PeerOptions<D>, 'handlers' | 'data' | 'onActivity' | 'onClose' | 'budget' | 'use'> {
  /** The routing table shared by every connection (default: a new one, `server.handlers`). */
  readonly handlers?: Handlers<D>;
  /**
   * Middleware around every request and notification of every connection (whichever registry
   * serves it), first outermost, outside what `peer.use()` adds and the registries' own.
   */
  readonly use?: readonly Middleware<D>[];
  /**
   * Bytes all connections together may hold: payloads kept for handlers (joined requests,
   * buffered stream parts, payloads being received) and replies not yet sent (default 256 MiB).
   * Past it, new requests get retry results and a connection that is not reading its replies is
   * closed; the server never grows beyond it. A {@link MemoryBudget} may be shared by servers.
   */
  readonly memoryBudget?: number | MemoryBudget;
  /** Connections open at once, all listeners together (default 4096); one more is refused (`CONNECTION_LIMIT`). */
  readonly maxConnections?: number;
  /** Connections open at once from one remote IP address (default 256; Unix sockets are not counted); one more is refused (`ADDRESS_LIMIT`). */
  readonly maxConnectionsPerAddress?: number;
  /** Decides on each new connection and gives its data (see {@link AcceptHook}). */
  readonly accept?: AcceptHook<D>;
  /** TLS for `tls://` and `wss://` listeners: `cert`, `key`, `ca`, `requestCert` (mutual TLS)… */
  readonly tls?: TlsOptions;
  /**
   * TCP and Unix listeners: a client that finishes sending but still reads (a half-close, as
   * `nc -N` does) still gets the replies to what it asked, then the connection closes. Off by
   * default, because a socket cannot tell a half-close from a client that went away: with it on,
   * the handlers of a client that disconnected run on (`ctx.signal` not aborted) until they
   * finish or the peer's `closeTimeout` passes.
   */
  readonly allowHalfOpen?: boolean;
  /** File mode of Unix sockets (default 0o600: owner only). */
  readonly unixMode?: number;
  /** WebSocket listeners: host and origin policies, `onRefused`, bundle, and `splitMessages` for gotalk.js 1.2 clients. */
  readonly ws?: Omit<WebSocketEndpointOptions, 'path'> & { readonly splitMessages?: boolean };
  /**
   * What `to()` and `everyone()` do about a connection that does not read: past `maxUnsent`
   * bytes unsent (default 1 MiB; 0 while the memory budget is spent) it is left out, and closed
   * with `MEMBER_BEHIND` (`behind: 'close'`, the default) or only passed over (`'skip'`).
   */
  readonly broadcast?: BroadcastOptions;
  /** `server.groups`: `maxGroupsPerMember`, the groups one connection may be in at once (default 64). */
  readonly groups?: GroupsOptions;
}

/** The defaults of the budgets a server adds to its peers' own limits. */
export const DEFAULT_SERVER_BUDGETS = {
  ...DEFAULT_CONNECTION_LIMITS,
  /** Bytes held across all connections: 256 MiB. */
  memoryBudget: 256 * 1024 * 1024,
  /** A connection that never sent a heartbeat and has been silent this long (ms) is closed. */
  silenceTimeout: 60_000,
} as const;

interface ServerEvents<D> {
  connection: [peer: Peer<D>];
  disconnect: [peer: Peer<D>, info: CloseInfo];
  /**
   * A connection refused before any Gotalk byte: over `maxConnections` or `maxConnectionsPerAddress`
   * (`CONNECTION_LIMIT`, `ADDRESS_LIMIT`), or a WebSocket upgrade from a page refused for its
   * `Host` or `Origin` (`HOST_NOT_ALLOWED`, `ORIGIN_NOT_ALLOWED`). `remote` is its address.
   */
  refused: [error: NodeError, remote: string];
  activity: [peer: Peer<D>, event: ActivityEvent];
  error: [error: Error];
}

/** A listener that does nothing: one function for every socket's 'error' (the socket's close reports it). */
const ignore = (): void => {};

/** `wss` for a WebSocket upgraded over TLS (a wss:// listener, or an attached HTTPS server), else `ws`. */
function wsKind(request: IncomingMessage): 'ws' | 'wss' {
  return (request.socket as TLSSocket).encrypted ? 'wss' : 'ws';
}

/** What a WebSocket connection's accept hook and handlers see: addresses as `ws://ip:port/path`. */
function wsInfo(request: IncomingMessage): ConnectionInfo {
  const kind = wsKind(request);
  const path = requestPath(request) ?? '/';
  const { remoteAddress, remotePort, localAddress, localPort } = request.socket;
  return { kind, remote: endpointName(kind, remoteAddress, remotePort), local: endpointName(kind, localAddress, localPort) + path, request };
}

function endpointName(kind: string, host: string | undefined, port: number | undefined): string {
  return `${kind}://${hostPort(host ?? '?', port ?? 0)}`;
}

/** The local name of a Unix socket accepted by a listener the server did not make: its path, as far as Node tells. */
function unixName(socket: Socket): string {
  const path = (socket as Socket & { server?: NetServer | null }).server?.address();
  return typeof path === 'string' && path ? `unix:${path}` : 'unix';
}

/**
 * A Gotalk server: any number of listeners (TCP, TLS, Unix, WebSocket) sharing one handler
 * registry. Emits `connection`, `disconnect`, `activity` (with the peer) and `error`. `D` is the
 * type of each connection's data, what the accept hook returns.
 */
export class Server<D = unknown> extends EventEmitter<ServerEvents<D>> {
  readonly handlers: Handlers<D>;
  /** The connected peers. */
  readonly peers = new Set<Peer<D>>();
  private readonly bound: Listener[] = [];
  private closing: Promise<void> | null = null;
  private readonly watched = new WeakSet<Peer<D>>();
  /** The WebSocket connections being served, by peer: told to close with 1001 (going away) when the server closes. */
  private readonly webSockets = new Map<Connection, WebSocketTransport>();
  /** The bytes every connection's held payloads and unsent replies count against. */
  readonly budget: MemoryBudget;
  private readonly connections: ConnectionLimits;
  private readonly peerOptions: PeerOptions<D>;
  /**
   * Named groups of connections (socket.io's rooms): `server.groups.join(ctx.peer, 'lobby')`
   * in a handler, `server.to('lobby')` to reach them. A connection leaves its groups when it closes.
   */
  readonly groups: Groups<Connection>;
  private readonly audienceHost: AudienceHost<Connection>;

  constructor(private readonly options: ServerOptions<D> = {}) {
    super();
    const { handlers, memoryBudget, maxConnections, maxConnectionsPerAddress, accept, tls, allowHalfOpen, unixMode, ws, broadcast, groups, ...peer } = options;
    this.peerOptions = { silenceTimeout: DEFAULT_SERVER_BUDGETS.silenceTimeout, ...peer };
    checkPeerOptions(this.peerOptions as PeerOptions); // a bad option fails here, not at the first connection
    this.groups = new Groups(groups);
    const budget = options.memoryBudget ?? DEFAULT_SERVER_BUDGETS.memoryBudget;
    this.budget = budget instanceof MemoryBudget ? budget : new MemoryBudget(countOption(budget, 0, 'memoryBudget'));
    this.connections = new ConnectionLimits(
      countOption(options.maxConnections, DEFAULT_SERVER_BUDGETS.maxConnections, 'maxConnections'),
      countOption(options.maxConnectionsPerAddress, DEFAULT_SERVER_BUDGETS.maxConnectionsPerAddress, 'maxConnectionsPerAddress'),
    );
    this.handlers = options.handlers ?? new Handlers<D>();
    this.audienceHost = {
      connectionOf: (c) => c,
      limits: resolveLimits(this.peerOptions as PeerOptions),
      requestTimeout: msOption(peer.requestTimeout, DEFAULTS.requestTimeout, 'requestTimeout'),
      ...broadcastSettings(broadcast),
      budget: this.budget,
      groups: this.groups,
    };
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'activity') for (const peer of this.peers) this.watch(peer);
    });
  }

  /**
   * The addresses listened on, with ports resolved (`tcp://127.0.0.1:0` becomes the real port).
   * An endpoint mounted with {@link attach} is listed (`ws://host:port/gotalk/`, `wss://` on
   * HTTPS) while its HTTP server listens on a TCP port.
   */
  get addresses(): string[] {
    return this.bound.flatMap((l) => (l.address === null ? [] : [l.address]));
  }

  /**
   * Adds a listener at `address`; resolves with where it listens. `fd:N` listens on a socket this
   * process inherited already listening (systemd socket activation, a supervisor's), TCP or
   * Unix; its connections are counted against the server's caps and budget as any other.
   */
  async listen(address: string): Promise<string> {
    const a = parseAddress(address);
    const listener =
      a.kind === 'ws' || a.kind === 'wss' ? await this.listenWebSocket(a) : await this.listenSocket(a as Exclude<Address, { kind: 'ws' | 'wss' }>);
    this.bound.push(listener);
    return listener.address!;
  }

  /**
   * Serves the connections of a `net.Server` or `tls.Server` made elsewhere (listening already,
   * or later), as the Go reference's `NewServer(handlers, limits, listener)` does: they count
   * against `maxConnections`, `maxConnectionsPerAddress` and the memory budget like those of
   * `listen()`, and pass the accept hook. The server is this one's from now on: `close()` stops
   * it. Its own options stay (`allowHalfOpen` is the one it was made with; a TLS server's
   * certificates). Returns where it listens, or null while it does not yet (see `addresses`).
   */
  adopt(server: NetServer): string | null {
    if (this.closing) throw new ClosedError('the server is closing');
    const listener = adoptServer(server, { onError: (err) => this.report(err) }, this.onSocket(null));
    this.bound.push(listener);
    return listener.address;
  }

  /**
   * Mounts a WebSocket endpoint on an existing HTTP(S) server at `path` (default `/gotalk/`),
   * which also serves the browser bundle at `<path>gotalk.js`. Other requests are left to the
   * server's own handlers (those registered before `attach`; listeners added later see every
   * request, the endpoint's too).
   */
  async attach(http: HttpServer, options: { path?: string } = {}): Promise<WebSocketEndpoint> {
    const endpoint = await this.endpoint(options.path);
    // The app's request listeners must not also answer what the endpoint serves (a second
    // answer throws ERR_HTTP_HEADERS_SENT): they move behind the endpoint, and run only for the
    // requests it does not own. They are put back when the server closes.
    const appListeners = http.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      if (endpoint.handleRequest(req, res)) return;
      for (const listener of appListeners) listener.call(http, req, res);
    };
    http.removeAllListeners('request');
    http.on('request', onRequest);
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!endpoint.handleUpgrade(req, socket, head) && http.listenerCount('upgrade') === 1) socket.destroy();
    };
    http.on('upgrade', onUpgrade);
    const kind = http instanceof HttpsServer ? 'wss' : 'ws';
    this.bound.push({
      get address() {
        const a = http.address();
        return a && typeof a === 'object' ? formatAddress({ kind, host: a.address, port: a.port, path: endpoint.path }) : null;
      },
      close: async () => {
        endpoint.close();
        http.off('upgrade', onUpgrade);
        http.off('request', onRequest);
        for (const listener of appListeners) http.on('request', listener);
      },
    });
    return endpoint;
  }

  /**
   * The members of any of `groups` (each once), to notify or gather from: see {@link Audience}.
   * `server.to('lobby').except(ctx.peer).notify('said', line)`. Throws `INVALID_GROUP` for a bad name.
   */
  to(...groups: string[]): Audience<Connection> {
    return new Audience(this.audienceHost, inGroups(this.groups, groups));
  }

  /** Every connection of the server, to notify or gather from: see {@link Audience}. */
  everyone(): Audience<Connection> {
    return new Audience(this.audienceHost, (visit) => {
      for (const peer of this.peers) visit(peer);
    });
  }

  /**
   * Stops accepting, lets each connection's in-flight requests finish (each peer's
   * `closeTimeout`), then ends the rest and removes Unix socket files.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // Pages reconnect at once on 1001; a connection an application closes on its own sends 1000.
      for (const transport of this.webSockets.values()) transport.goingAway();
      const stopped = Promise.all(this.bound.map((l) => l.close()));
      await Promise.all([...this.peers].map((p) => p.close()));
      await stopped;
    })();
    return this.closing;
  }

  /**
   * Forwards `peer`'s activity as `activity` events while anyone listens. Peers are watched only
   * then, so a server nobody observes builds no event objects on its hot path.
   */
  private watch(peer: Peer<D>): void {
    if (this.watched.has(peer)) return;
    this.watched.add(peer);
    const off = peer.onActivity((event) => {
      if (this.listenerCount('activity') > 0) return void this.emit('activity', peer, event);
      off();
      this.watched.delete(peer);
    });
  }

  private async admit(info: ConnectionInfo): Promise<D | false | undefined> {
    if (!this.options.accept) return undefined;
    try {
      return await this.options.accept(info);
    } catch (err) {
      this.report(err);
      return false;
    }
  }

  /**
   * Reports an error that concerns one connection or a listener, not the server as a whole, as
   * an `error` event when anyone listens. Never throws: an EventEmitter throws an `error` nobody
   * listens to, and what a peer's connection triggers must not end the process.
   */
  private report(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
  }

  /**
   * Counts a new connection against the caps; false (and a `refused` event) when it is past
   * one, and the caller then refuses it.
   */
  private counted(socket: Socket, remote: string): boolean {
    const refusal = this.connections.admit(socket, socket.remoteAddress);
    if (!refusal) return true;
    if (this.listenerCount('refused') > 0) this.emit('refused', refusal, remote);
    return false;
  }

  private serve(transport: Transport, data: unknown): Peer<D> {
    const peer = new Peer<D>(transport, {
      ...this.peerOptions,
      handlers: this.handlers,
      budget: this.budget,
      data: data as D,
      onClose: this.closedPeer,
    });
    this.peers.add(peer);
    // Before `connection`: a listener may close the server, which says goodbye to every WebSocket.
    if (transport instanceof WebSocketTransport) this.webSockets.set(peer, transport);
    if (this.listenerCount('activity') > 0) this.watch(peer);
    this.emit('connection', peer);
    if (this.closing) void peer.close();
    return peer;
  }

  /** Every served connection's `onClose`: one function for all, not a closure each. */
  private readonly closedPeer = (connection: Connection, info: CloseInfo): void => {
    const peer = connection as Peer<D>;
    this.peers.delete(peer);
    this.webSockets.delete(peer);
    this.groups.leave(peer); // before `disconnect`: its listeners see it in no group
    this.emit('disconnect', peer, info);
  };

  private listenSocket(a: Exclude<Address, { kind: 'ws' | 'wss' }>): Promise<Listener> {
    return listenSockets(a, { ...this.options, onError: (err) => this.report(err) }, this.onSocket(a.kind === 'fd' ? null : a));
  }

  /**
   * What a socket listener does with each socket it accepts: counts it against the caps, asks
   * the accept hook, and serves it. `a` is the address listened on; null for an inherited or
   * adopted listener, whose sockets say themselves what they are (TLS, Unix, TCP).
   */
  private onSocket(a: Extract<Address, { kind: 'tcp' | 'tls' | 'unix' }> | null): (socket: Socket) => void {
    return (socket: Socket) => {
      socket.on('error', ignore);
      const kind = a?.kind ?? ((socket as TLSSocket).encrypted ? 'tls' : socket.remoteAddress === undefined ? 'unix' : 'tcp');
      const unix = kind === 'unix';
      const remote = unix ? 'unix' : endpointName(kind, socket.remoteAddress, socket.remotePort);
      if (!this.counted(socket, remote)) return void socket.destroy();
      const local = unix ? (a ? formatAddress(a) : unixName(socket)) : endpointName(kind, socket.localAddress, socket.localPort);
      const base = { kind, remote, local };
      const info: ConnectionInfo =
        kind === 'tls' ? { ...base, certificate: (socket as TLSSocket).getPeerCertificate(), authorized: (socket as TLSSocket).authorized } : base;
      socket.pause();
      void this.admit(info)
        .then((data) => {
          if (data === false || this.closing) return void socket.destroy();
          this.serve(new SocketTransport(socket, info), data);
        })
        .catch((err: unknown) => {
          socket.destroy();
          this.report(err);
        });
    };
  }

  private async endpoint(path: string | undefined): Promise<WebSocketEndpoint> {
    const ws = this.options.ws ?? {};
    const bundle = ws.bundle !== undefined ? ws.bundle : await loadBrowserBundle();
    const onRefused = (error: NodeError, request: IncomingMessage) => {
      try {
        ws.onRefused?.(error, request);
      } finally {
        if (this.listenerCount('refused') > 0) this.emit('refused', error, wsInfo(request).remote!);
      }
    };
    return new WebSocketEndpoint(
      { ...ws, bundle, onRefused, maxMessage: messageLimit(this.options.limits?.maxPayload ?? DEFAULT_MAX_PAYLOAD), ...(path ? { path } : {}) },
      (request) => {
        const info = wsInfo(request);
        if (!this.counted(request.socket, info.remote!)) return Promise.resolve(TOO_MANY);
        return this.admit(info);
      },
      (socket: WebSocket, request, data) => {
        if (this.closing) return socket.terminate();
        const info = wsInfo(request);
        const transport = new WebSocketTransport(socket, info, ws.splitMessages ? { splitMessages: true } : {});
        this.serve(transport, data);
      },
    );
  }

  private async listenWebSocket(a: Extract<Address, { kind: 'ws' | 'wss' }>): Promise<Listener> {
    const endpoint = await this.endpoint(a.path);
    const listener = await listenHttp({ ...a, path: endpoint.path }, { ...this.options, onError: (err) => this.report(err) }, (http) => {
      http.on('request', (req, res) => {
        if (!endpoint.handleRequest(req, res)) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end(`not found; the Gotalk endpoint is ${endpoint.path}\n`);
        }
      });
      http.on('upgrade', (req, socket, head) => {
        if (!endpoint.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      });
    });
    return {
      address: listener.address,
      close: () => {
        endpoint.close();
        return listener.close();
      },
    };
  }
}

/**
 * Listens on one or more addresses with one shared handler registry and resolves with the
 * {@link Server}. Fails (and closes what it opened) if any address cannot be listened on.
 */
export async function listen<D = unknown>(addresses: string | readonly string[], options: ServerOptions<D> = {}): Promise<Server<D>> {
  const server = new Server<D>(options);
  try {
    for (const a of typeof addresses === 'string' ? [addresses] : addresses) await server.listen(a);
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}
