/**
 * What a peer needs from the connection under it: an ordered, reliable, bidirectional byte
 * stream. TCP, TLS, Unix sockets, WebSocket and the in-memory pair implement it.
 */
export interface Transport {
  /**
   * Starts delivery: from now on the transport calls `events.data` for each received chunk (in
   * order, never concurrently), `events.drain` when writing may resume, and `events.close`
   * exactly once when the connection is gone. A peer calls this once, right after it is made.
   */
  start(events: TransportEvents): void;
  /**
   * Queues `bytes` for sending, in order. Never throws and never drops bytes while open;
   * after close the bytes are discarded. Returns false when the transport's send buffer is
   * over its high-water mark: the caller should wait for `drain` before writing more. The
   * caller must not modify `bytes` afterwards.
   */
  write(bytes: Uint8Array): boolean;
  /**
   * Optional: queues several pieces as if written back to back with `write`, in one system
   * write where the transport can (a socket's writev). The peer uses it to send large payloads
   * from where they lie instead of copying them into its batch buffer. Same promises as `write`.
   */
  writev?(pieces: readonly Uint8Array[]): boolean;
  /**
   * Optional: `write` for a buffer handed over for good: `bytes` spans its whole `ArrayBuffer`,
   * and neither the caller nor anyone else reads or writes that buffer again, so the transport
   * may keep it, or transfer it to another thread, instead of copying it. The peer writes each
   * batch it builds this way. Same promises as `write`.
   */
  writeOwned?(bytes: Uint8Array): boolean;
  /**
   * Optional: bytes accepted by `write` and not yet handed to the system. The peer closes a
   * connection whose backlog passes `limits.maxBacklog`: the other side is not reading.
   */
  readonly bufferedAmount?: number;
  /** Stops calling `events.data` until `resume()` (connection-level backpressure). Idempotent. */
  pause(): void;
  /** Resumes calling `events.data`. Idempotent. */
  resume(): void;
  /** Ends the connection cleanly: sends what is queued, then closes. `events.close` follows. */
  close(): void;
  /** Ends the connection at once, discarding queued bytes. `events.close` follows with `error` if given. */
  destroy(error?: Error): void;
  /** What is known about the other end (address, TLS certificate, HTTP request…), for handlers and logs. */
  readonly info?: TransportInfo;
}

/** Callbacks a transport calls; see {@link Transport.start}. */
export interface TransportEvents {
  /** Bytes received, in order; the chunk is the peer's to keep (the transport does not reuse it). */
  data(chunk: Uint8Array): void;
  /** The transport's buffer has room again after a write returned false. */
  drain(): void;
  /**
   * Optional to call: the other side has finished sending (a socket's half-close), while this
   * side can still write. The peer then lets the requests it serves finish and closes. A
   * transport that cannot tell calls only `close`.
   */
  end?(): void;
  /** The connection is gone. `error` is set when it ended abnormally. Called exactly once. */
  close(error?: Error): void;
}

/** Descriptive facts about a connection; every field is optional and transport-specific. */
export interface TransportInfo {
  /** e.g. `tcp`, `tls`, `unix`, `ws`, `memory`. */
  readonly kind: string;
  /** The remote address in the address syntax of the transport, when there is one. */
  readonly remote?: string;
  /** The local address. */
  readonly local?: string;
  /** Anything else (a TLS peer certificate, the WebSocket upgrade request, accept-hook data). */
  readonly [key: string]: unknown;
}
