/**
 * Stable codes of {@link NodeError}:
 * - `BAD_ADDRESS`: an address that does not parse, or a Unix socket path too long for a socket address.
 * - `CONNECT_FAILED`: the connection could not be made (refused, no such socket, TLS or HTTP failure).
 * - `CONNECT_TIMEOUT`: connecting (or the handshake) took longer than the timeout.
 * - `ADDRESS_IN_USE`: listening failed because something live is already there.
 * - `CONNECTION_LIMIT`: a server refused a connection: it has `maxConnections` open.
 * - `ADDRESS_LIMIT`: a server refused a connection: its remote address has `maxConnectionsPerAddress` open.
 */
export type NodeErrorCode = 'BAD_ADDRESS' | 'CONNECT_FAILED' | 'CONNECT_TIMEOUT' | 'ADDRESS_IN_USE' | 'CONNECTION_LIMIT' | 'ADDRESS_LIMIT';

/** The error of `@gotalk/node`'s own operations: addresses, connecting, listening. */
export class NodeError extends Error {
  override name = 'NodeError';
  readonly code: NodeErrorCode;

  constructor(code: NodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
