import type { Connection } from '@gotalk/peer';

/**
 * Anything that announces new connections the way a `Server` of `@gotalk/node` does (its
 * `connection` event): the pool takes each as a member. Structural, so the pool depends on no
 * runtime: a `Server`, a `WebSocketEndpoint`, or an emitter of your own fit.
 */
export interface ConnectionSource {
  /** Calls `listener` with each new connection (a `Server` emits its peers this way). */
  on(event: 'connection', listener: (connection: Connection) => void): unknown;
  /** Used to stop feeding, when there is one; otherwise the listener just stops adding. */
  off?(event: 'connection', listener: (connection: Connection) => void): unknown;
}

/** How the members a source feeds join. */
export interface FeedOptions {
  /** The member's name (default: the pool's `worker-<n>`); a worker might say who it is in its accept hook's `data`. */
  readonly name?: (connection: Connection) => string | undefined;
  /** The member's cap (default: the pool's `concurrency`). */
  readonly concurrency?: number | ((connection: Connection) => number | undefined);
}
