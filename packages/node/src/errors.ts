import { GotalkError } from '@gotalk/peer';

/**
 * Stable codes of {@link NodeError}:
 * - `BAD_ADDRESS`: an address that does not parse, or a Unix socket path too long for a socket address
 *   (to listen on, also one whose directory leaves no room for the private directory it is bound in).
 * - `CONNECT_FAILED`: the connection could not be made (refused, no such socket, TLS or HTTP failure).
 * - `CONNECT_TIMEOUT`: connecting (or the handshake) took longer than the timeout.
 * - `ADDRESS_IN_USE`: listening failed because something live is already there.
 * - `CONNECTION_LIMIT`: a server refused a connection: it has `maxConnections` open.
 * - `ADDRESS_LIMIT`: a server refused a connection: its remote address has `maxConnectionsPerAddress` open.
 * - `HOST_NOT_ALLOWED`: a WebSocket upgrade from a page was refused for its `Host` (not a name of
 *   the server: see `ws.allowedHosts`); told to `ws.onRefused`.
 * - `ORIGIN_NOT_ALLOWED`: a WebSocket upgrade was refused for its `Origin` (`ws.origins`); told
 *   to `ws.onRefused`.
 */
export type NodeErrorCode =
  'BAD_ADDRESS' | 'CONNECT_FAILED' | 'CONNECT_TIMEOUT' | 'ADDRESS_IN_USE' | 'CONNECTION_LIMIT' | 'ADDRESS_LIMIT' | 'HOST_NOT_ALLOWED' | 'ORIGIN_NOT_ALLOWED';

/** The error of `@gotalk/node`'s own operations: addresses, connecting, listening, refused upgrades. */
export class NodeError extends GotalkError<NodeErrorCode> {
  override name = 'NodeError';
}
