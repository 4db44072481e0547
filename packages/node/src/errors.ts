import { GotalkError } from '@gotalk/peer';

/**
 * Stable codes of {@link NodeError}:
 * - `BAD_ADDRESS`: an address that does not parse, or a Unix socket path too long for a socket address
 *   (to listen on, also one whose directory leaves no room for the private directory it is bound in),
 *   or an `fd:N` to listen on that is not a socket this process can listen on.
 * - `CONNECT_FAILED`: the connection could not be made (refused, no such socket, TLS or HTTP failure).
 * - `CONNECT_TIMEOUT`: connecting (or the handshake) took longer than the timeout.
 * - `ADDRESS_IN_USE`: listening failed because something live is already there.
 * - `CONNECTION_LIMIT`: a server refused a connection: it has `maxConnections` open.
 * - `ADDRESS_LIMIT`: a server refused a connection: its remote address has `maxConnectionsPerAddress` open.
 * - `HOST_NOT_ALLOWED`: a WebSocket upgrade from a page was refused for its `Host` (not a name of
 *   the server: see `ws.allowedHosts`); told to `ws.onRefused`.
 * - `ORIGIN_NOT_ALLOWED`: a WebSocket upgrade was refused for its `Origin` (`ws.origins`); told
 *   to `ws.onRefused`.
 * - `WORKER_EXITED`: a worker thread or child process exited (or was killed, or crashed) before
 *   its connection was closed; a `WorkerExitedError` with `exitCode`, `signal` and, as `cause`,
 *   the uncaught error that ended it when known.
 * - `SPAWN_FAILED`: a child process could not be started (no such program, no permission), or
 *   `loader: 'tsx'` was asked for where no tsx is installed.
 * - `NO_PARENT`: `connectToParent()` in a program that `spawnWorker`/`spawnProcess` did not start.
 */
export type NodeErrorCode =
  | 'BAD_ADDRESS'
  | 'CONNECT_FAILED'
  | 'CONNECT_TIMEOUT'
  | 'ADDRESS_IN_USE'
  | 'CONNECTION_LIMIT'
  | 'ADDRESS_LIMIT'
  | 'HOST_NOT_ALLOWED'
  | 'ORIGIN_NOT_ALLOWED'
  | 'WORKER_EXITED'
  | 'SPAWN_FAILED'
  | 'NO_PARENT';

/** The error of `@gotalk/node`'s own operations: addresses, connecting, listening, refused upgrades, workers. */
export class NodeError extends GotalkError<NodeErrorCode> {
  override name = 'NodeError';
}
