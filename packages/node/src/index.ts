/**
 * @gotalk/node: Gotalk over TCP, TLS, Unix sockets and WebSocket for Node.js, with servers
 * sharing one handler registry across connections.
 */
export { formatAddress, parseAddress, type Address } from './address.ts';
/** `host:port` as addresses and URLs write it, an IPv6 host in brackets (`[::1]:7000`). */
export { hostPort } from './address.ts';
export { connectClient, type AddressSource, type ClientConnectOptions, type DialTarget } from './client.ts';
export { connect, type ConnectOptions } from './connect.ts';
/**
 * The dialer under `connect()`: a parsed address in, a connected `Transport` out (no peer, no
 * handshake), for programs that put their own peer or a proxy on it, as `gotalk trace` does.
 */
export { dial, type DialOptions } from './dial.ts';
/**
 * The listeners under `listen()`: raw accepted sockets (TCP, TLS, Unix, an inherited `fd:N`, or
 * a `net.Server` made elsewhere) or an HTTP(S) server for a WebSocket address, for programs
 * that do not want a `Server` of peers.
 */
export { listenHttp, listenSockets, type Listener, type ListenOptions } from './listen.ts';
export { NodeError, type NodeErrorCode } from './errors.ts';
export { DEFAULT_SERVER_BUDGETS, listen, Server, type AcceptHook, type ConnectionInfo, type ServerOptions } from './server.ts';
/** Transports over what is not a socket the library made: any Node stream, a worker thread's port. */
export { DuplexTransport, type DuplexTransportOptions, type StreamPair } from './duplex-transport.ts';
export { threadTransport, type ThreadTransportOptions } from './thread-transport.ts';
export { SocketTransport } from './socket-transport.ts';
export { WebSocketTransport, type WebSocketTransportOptions } from './ws-transport.ts';
export { requestPath, WebSocketEndpoint, type OriginPolicy, type WebSocketEndpointOptions } from './ws-endpoint.ts';
/** The `ws.allowedHosts` policy, and its check (throws a TypeError naming the first bad entry), for options read from a command line or a config file. */
export { checkHostPolicy, type HostPolicy } from './host-policy.ts';
export { loadBrowserBundle, makeBundle, type Bundle } from './bundle.ts';
export { describeExit, WorkerExitedError, type ExitInfo } from './worker-exit.ts';
/**
 * Worker threads and child processes as peers: the parent's `spawnWorker` / `spawnProcess`
 * hand back a ready peer to the worker, the worker's `connectToParent()` one to its parent.
 */
export { SpawnedPeer, type SpawnOptions } from './spawn/spawned-peer.ts';
export { spawnWorker, type SpawnWorkerOptions } from './spawn/worker.ts';
export { spawnProcess, type SpawnProcessOptions } from './spawn/process.ts';
export { connectToParent, type ConnectToParentOptions } from './spawn/parent.ts';
export type { ModuleLoader } from './spawn/module-url.ts';
/** The admin endpoint of a running process, and the levelled activity log and request counts it is made of. */
export { AdminEndpoint, CONFIG_CHANGED, defaultAdminAddress, LOG_NOTIFICATION, openAdmin, type AdminOptions, type AdminStats } from './admin/admin.ts';
export { CONFIG_ERRORS, type AdminConfig } from './admin/admin-config.ts';
export { ActivityLog, checkLevel, LOG_LEVELS, type ActivityLogOptions, type LogEntry, type Logger, type LogLevel, type LogSink } from './admin/activity-log.ts';
export {
  MAX_NAMES,
  OTHER,
  RATE_WINDOW,
  RequestStats,
  trackRequests,
  type CompletedRequest,
  type RequestCounts,
  type RequestOutcome,
} from './admin/request-stats.ts';
export * from '@gotalk/peer';
