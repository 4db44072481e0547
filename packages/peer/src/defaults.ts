import { DEFAULT_MAX_PAYLOAD } from '@gotalk/protocol';

/** Per-connection limits of what this peer serves. Each has a safe default. */
export interface Limits {
  /** Single requests served at once (default 1024). Past it: a retry result. */
  readonly maxRequests: number;
  /** Stream requests served at once (default 64); 0 disables stream requests. Past it: a retry result. */
  readonly maxStreams: number;
  /** Largest payload accepted or sent, in bytes (default 8 MiB). */
  readonly maxPayload: number;
  /** Bytes one stream may buffer before the peer stops reading the connection (default 1 MiB). */
  readonly streamBuffer: number;
  /**
   * Unsent bytes (replies the other side does not read) past which the connection is closed
   * (default 64 MiB). Needs a transport that reports `bufferedAmount` (sockets and WebSocket do).
   */
  readonly maxBacklog: number;
  /** The range, in ms, of the random wait asked for in retry results past a limit (default 500..5000). */
  readonly retryWait: readonly [number, number];
  /** Largest JSON value parsed, in bytes (default 1 MiB): JSON inputs, results and notifications; raw bytes are not limited by it. */
  readonly maxJsonBytes: number;
  /** Deepest nesting of arrays and objects in JSON parsed (default 128), checked before the parser runs. */
  readonly maxJsonDepth: number;
}

/** The defaults of {@link Limits}. */
export const DEFAULT_LIMITS: Limits = {
  maxRequests: 1024,
  maxStreams: 64,
  maxPayload: DEFAULT_MAX_PAYLOAD,
  streamBuffer: 1024 * 1024,
  maxBacklog: 64 * 1024 * 1024,
  retryWait: [500, 5000],
  maxJsonBytes: 1024 * 1024,
  maxJsonDepth: 128,
};

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
