/**
 * @gotalk/node: Gotalk over TCP, TLS, Unix sockets and WebSocket for Node.js, with servers
 * sharing one handler registry across connections.
 */
export { formatAddress, parseAddress, type Address } from './address.ts';
export { connect, type ConnectOptions } from './connect.ts';
export { NodeError, type NodeErrorCode } from './errors.ts';
export { DEFAULT_SERVER_BUDGETS, listen, Server, type AcceptHook, type ConnectionInfo, type ServerOptions } from './server.ts';
export { SocketTransport } from './socket-transport.ts';
export { WebSocketTransport, type WebSocketTransportOptions } from './ws-transport.ts';
export { requestPath, WebSocketEndpoint, type OriginPolicy, type WebSocketEndpointOptions } from './ws-endpoint.ts';
export type { HostPolicy } from './host-policy.ts';
export { loadBrowserBundle, makeBundle, type Bundle } from './bundle.ts';
export * from '@gotalk/peer';
