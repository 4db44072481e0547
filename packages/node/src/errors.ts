/**
 * Stable codes of {@link NodeError}:
 * - `BAD_ADDRESS`: an address that does not parse, or a Unix socket path too long for a socket address.
 * - `CONNECT_FAILED`: the connection could not be made (refused, no such socket, TLS or HTTP failure).
 * - `CONNECT_TIMEOUT`: connecting (or the handshake) took longer than the timeout.
 * - `ADDRESS_IN_USE`: listening failed because something live is already there.
 */
export type NodeErrorCode = 'BAD_ADDRESS' | 'CONNECT_FAILED' | 'CONNECT_TIMEOUT' | 'ADDRESS_IN_USE';

/** The error of `@gotalk/node`'s own operations: addresses, connecting, listening. */
export class NodeError extends Error {
  override name = 'NodeError';
  readonly code: NodeErrorCode;

  constructor(code: NodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
