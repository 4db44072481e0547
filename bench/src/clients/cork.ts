import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * Returns a function that corks `socket` until the next tick (once per tick), so that the
 * writes of one tick leave in one system call, as Gotalk's outbox coalesces its frames.
 * The raw baselines use it on both sides.
 */
export function corkPerTick(socket: Socket): () => void {
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    socket.cork();
    process.nextTick(uncork);
  };
}

/** The TCP socket under a `ws` WebSocket (a private field of `ws`, stable across its versions 7 and 8). */
export function socketOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}
