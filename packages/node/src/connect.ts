import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { checkPeerOptions, type ClosedError, type CloseReason, DEFAULTS, type GotalkError, msOption, Peer, TimeoutError, type PeerOptions } from '@gotalk/peer';
import { parseAddress } from './address.ts';
import { dial } from './dial.ts';
import { NodeError } from './errors.ts';
import { checkUnixPath } from './unix-socket.ts';

/** Options of {@link connect}: the peer's options (`handshakeError` is connect()'s own) plus how to reach the other side. */
export interface ConnectOptions extends Omit<PeerOptions, 'handshakeError'> {
  /** Give up connecting (including the handshake) after this many ms (default 10 000; 0: no limit; at most 2^31-1). */
  readonly connectTimeout?: number;
  /**
   * When `connect()` resolves: `wait` (default) once the other side's version arrived, so that a
   * rejection says the handshake failed; `pipeline` as soon as the connection is made, so that the
   * first requests leave with this side's version, in one write, without waiting for the other
   * side's: one round trip less. A failed handshake then rejects `ready` and every request made
   * before it with the error `connect()` would have rejected with (`CONNECT_FAILED`, `CONNECT_TIMEOUT`).
   */
  readonly handshake?: 'wait' | 'pipeline';
  /** TLS options for `tls://` and `wss://`: `ca`, `cert`, `key`, `servername`, `rejectUnauthorized`… */
  readonly tls?: TlsConnectionOptions;
  /** The `Origin` header for `ws://`/`wss://` (default `http(s)://host:port`; the Go server requires one). */
  readonly origin?: string;
  /** Extra HTTP headers for the WebSocket upgrade request. */
  readonly headers?: Record<string, string>;
  /** WebSocket only: send headers and payloads as separate messages (for gotalk.js-era servers). */
  readonly splitMessages?: boolean;
  /**
   * TCP and Unix: when the server finishes sending but still reads (a half-close), keep
   * answering what it asked, then close (default false: its end closes the connection). See
   * `ServerOptions.allowHalfOpen` for the cost.
   */
  readonly allowHalfOpen?: boolean;
}

/** The `handshake` option, checked: true for `pipeline`. Throws a RangeError naming it for anything but `wait`, `pipeline` or undefined. */
function pipelines(handshake: unknown): boolean {
  if (handshake === undefined || handshake === 'wait') return false;
  if (handshake === 'pipeline') return true;
  throw new RangeError(`handshake must be 'wait' or 'pipeline', got ${String(handshake)}`);
}

/**
 * The error a failed handshake with `address` is reported with, from the `CLOSED` error of the
 * peer and the close reason: `CONNECT_TIMEOUT` for the deadline (the error itself) or the peer's
 * `handshakeTimeout`; the `CLOSED` error itself when the program closed or destroyed the peer;
 * else `CONNECT_FAILED`.
 */
function handshakeFailure(address: string, closed: ClosedError, reason: CloseReason): GotalkError {
  const why = closed.cause;
  if (why instanceof NodeError) return why;
  if (reason === 'closed' || reason === 'destroyed') return closed;
  const timedOut = why instanceof TimeoutError;
  const message = timedOut ? `${address} did not complete the handshake in time` : `${address} closed during the handshake: ${closed.message}`;
  return new NodeError(timedOut ? 'CONNECT_TIMEOUT' : 'CONNECT_FAILED', message, { cause: closed });
}

/**
 * Connects to a Gotalk peer at `address` (`tcp://`, `tls://`, `unix:`, `ws://`, `wss://`) and
 * resolves with a ready {@link Peer} once the handshake completed, or, with `handshake:
 * 'pipeline'`, with a peer whose first requests go out with its version once the connection is
 * made (the handshake completes later: see {@link ConnectOptions.handshake}). Rejects with
 * {@link NodeError} (`BAD_ADDRESS`, also for a Unix path too long for a socket address;
 * `CONNECT_FAILED`, `CONNECT_TIMEOUT`), or, before dialling, with a RangeError naming a bad
 * option (`connectTimeout` must be 0..2^31-1 ms, 0 for no limit; `handshake` `wait` or
 * `pipeline`; the peer options as `new Peer` checks them).
 */
export async function connect(address: string, options: ConnectOptions = {}): Promise<Peer> {
  const parsed = parseAddress(address);
  if (parsed.kind === 'unix') checkUnixPath(parsed.path);
  const timeout = msOption(options.connectTimeout, DEFAULTS.connectTimeout, 'connectTimeout');
  const pipeline = pipelines(options.handshake);
  checkPeerOptions(options);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  let peer: Peer | undefined;
  const attempt = new AbortController();
  // 0: no limit (the peer's own handshakeTimeout still bounds the handshake).
  const deadline = new Promise<never>((_, reject) => {
    if (timeout === 0) return;
    timer = setTimeout(() => {
      timedOut = true;
      const error = new NodeError('CONNECT_TIMEOUT', `connecting to ${address} took longer than ${timeout} ms`);
      // The deadline first, so that it is what the caller sees; then the attempt is abandoned,
      // and a handshake still under way ends with this error (its early requests' too).
      reject(error);
      attempt.abort();
      peer?.destroy(error);
    }, timeout);
  });
  deadline.catch(() => {}); // past a pipelined connect(), nothing awaits it
  const pending = dial(parsed, { ...options, maxPayload: options.limits?.maxPayload }, attempt.signal);
  // A transport that connects after the deadline is closed at once.
  pending.then(
    (t) => timedOut && t.destroy(),
    () => {},
  );
  let handshaking = false;
  try {
    const transport = await Promise.race([pending, deadline]);
    try {
      peer = new Peer(transport, { ...options, handshakeError: (closed, reason) => handshakeFailure(address, closed, reason) });
    } catch (err) {
      transport.destroy();
      throw err;
    }
    if (pipeline) {
      // The deadline still covers the handshake; it stops once the handshake is over either way.
      handshaking = true;
      peer.ready.then(
        () => clearTimeout(timer),
        () => clearTimeout(timer),
      );
      return peer;
    }
    try {
      await Promise.race([peer.ready, deadline]);
    } catch (err) {
      peer.destroy();
      throw err;
    }
    return peer;
  } finally {
    if (!handshaking) clearTimeout(timer);
  }
}
