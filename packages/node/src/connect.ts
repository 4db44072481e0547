import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { checkPeerOptions, DEFAULTS, msOption, Peer, type PeerOptions } from '@gotalk/peer';
import { parseAddress } from './address.ts';
import { dial } from './dial.ts';
import { NodeError } from './errors.ts';
import { checkUnixPath } from './unix-socket.ts';

/** Options of {@link connect}: the peer's options plus how to reach the other side. */
export interface ConnectOptions extends PeerOptions {
  /** Give up connecting (including the handshake) after this many ms (default 10 000; 0: no limit; at most 2^31-1). */
  readonly connectTimeout?: number;
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

/**
 * Connects to a Gotalk peer at `address` (`tcp://`, `tls://`, `unix:`, `ws://`, `wss://`) and
 * resolves with a ready {@link Peer} once the handshake completed. Rejects with
 * {@link NodeError} (`BAD_ADDRESS`, also for a Unix path too long for a socket address;
 * `CONNECT_FAILED`, `CONNECT_TIMEOUT`), or, before dialling, with a RangeError naming a bad
 * option (`connectTimeout` must be 0..2^31-1 ms, 0 for no limit; the peer options as `new Peer`
 * checks them).
 */
export async function connect(address: string, options: ConnectOptions = {}): Promise<Peer> {
  const parsed = parseAddress(address);
  if (parsed.kind === 'unix') checkUnixPath(parsed.path);
  const timeout = msOption(options.connectTimeout, DEFAULTS.connectTimeout, 'connectTimeout');
  checkPeerOptions(options);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const attempt = new AbortController();
  // 0: no limit (the peer's own handshakeTimeout still bounds the handshake).
  const deadline = new Promise<never>((_, reject) => {
    if (timeout === 0) return;
    timer = setTimeout(() => {
      timedOut = true;
      // The deadline first, so that it is what the caller sees; then the attempt is abandoned.
      reject(new NodeError('CONNECT_TIMEOUT', `connecting to ${address} took longer than ${timeout} ms`));
      attempt.abort();
    }, timeout);
  });
  const pending = dial(parsed, { ...options, maxPayload: options.limits?.maxPayload }, attempt.signal);
  // A transport that connects after the deadline is closed at once.
  pending.then(
    (t) => timedOut && t.destroy(),
    () => {},
  );
  try {
    const transport = await Promise.race([pending, deadline]);
    let peer: Peer;
    try {
      peer = new Peer(transport, options);
    } catch (err) {
      transport.destroy();
      throw err;
    }
    try {
      await Promise.race([peer.ready, deadline]);
    } catch (err) {
      peer.destroy();
      if (err instanceof NodeError) throw err;
      throw new NodeError('CONNECT_FAILED', `${address} closed during the handshake: ${(err as Error).message}`, { cause: err });
    }
    return peer;
  } finally {
    clearTimeout(timer);
  }
}
