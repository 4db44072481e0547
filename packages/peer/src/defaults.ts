import { DEFAULT_LIMITS } from './limits.ts';

/**
 * Every default of the library in one place, one meaning per name. The peer options
 * (`heartbeatInterval` … `retries`, `limits`), and what the transports and clients of every
 * runtime share: how long connecting may take (the handshake included), how many bytes a
 * transport buffers before writers wait, how long a clean close may take before the transport
 * is destroyed.
 */
export const DEFAULTS = {
  /** ms between heartbeats (0 sends none). */
  heartbeatInterval: 20_000,
  /** ms of silence, once the other side beats, before the connection is closed. */
  idleTimeout: 120_000,
  /** ms of silence from a side that never beat before the connection is closed (0: never). */
  silenceTimeout: 0,
  /** ms for the other side's version to arrive. */
  handshakeTimeout: 10_000,
  /** ms `close()` lets requests in flight finish. */
  closeTimeout: 5_000,
  /** ms before a single request times out (0: never). */
  requestTimeout: 30_000,
  /** Retries after retry results. */
  retries: 3,
  /** ms a client may take to connect, the handshake included. */
  connectTimeout: 10_000,
  /** Bytes a transport buffers before `write` returns false. */
  highWaterMark: 1024 * 1024,
  /** ms a transport waits for the other side to end a clean close before it destroys the connection. */
  closeGrace: 5_000,
  /** Per-connection limits. */
  limits: DEFAULT_LIMITS,
} as const;
