import { createServer as createHttpServer } from 'node:http';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { DEFAULT_MAX_PAYLOAD, messageLimit } from '@gotalk/protocol';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { formatAddress, parseAddress } from '../address.ts';
import { listenUnix } from '../unix-socket.ts';
import { UsageError } from './args.ts';

/** One side of a forwarded connection, as a byte stream (a socket or a WebSocket). */
export interface End {
  /** Who is at the other end, for trace lines. */
  readonly remote: string;
  /** Sends bytes; false when the caller should wait for `drain`. */
  write(bytes: Uint8Array): boolean;
  /** Starts delivering data (all callbacks set); call once. */
  start(events: { data(bytes: Uint8Array): void; drain(): void; closed(error?: Error): void }): void;
  pause(): void;
  resume(): void;
  /** Ends gracefully (half-close or WebSocket close). */
  end(): void;
  destroy(): void;
}

/** A stream socket (TCP, TLS, Unix) as an {@link End}. */
export function socketEnd(socket: Socket, remote: string): End {
  socket.pause();
  return {
    remote,
    write: (bytes) => (socket.destroyed ? true : socket.write(bytes)),
    start(events) {
      let failure: Error | undefined;
      socket.on('data', (b: Buffer) => events.data(b));
      socket.on('drain', () => events.drain());
      socket.on('error', (err) => (failure ??= err));
      socket.on('end', () => socket.end());
      socket.on('close', () => events.closed(failure));
      socket.resume();
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    end: () => {
      socket.end();
      setTimeout(() => socket.destroy(), 2000).unref();
    },
    destroy: () => socket.destroy(),
  };
}

function bytesOf(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/** Bytes a WebSocket end may have unsent before its writer is told to wait for `drain`. */
const WS_HIGH_WATER_MARK = 1024 * 1024;

/**
 * A WebSocket as an {@link End}: each message is forwarded as the bytes it holds (Gotalk over
 * WebSocket is a byte stream), each write becomes one binary message. Writes count as unsent
 * until `ws` has handed them to the socket; past {@link WS_HIGH_WATER_MARK} `write` returns
 * false, and `drain` comes once half of that is left.
 */
export function webSocketEnd(ws: WebSocket, remote: string): End {
  ws.pause();
  let unsent = 0;
  let blocked = false;
  let onDrain = () => {};
  return {
    remote,
    write: (bytes) => {
      if (ws.readyState !== ws.OPEN) return true;
      unsent += bytes.length;
      ws.send(bytes, { binary: true }, () => {
        unsent -= bytes.length;
        if (blocked && unsent <= WS_HIGH_WATER_MARK / 2) {
          blocked = false;
          onDrain();
        }
      });
      if (unsent > WS_HIGH_WATER_MARK) blocked = true;
      return !blocked;
    },
    start(events) {
      onDrain = () => events.drain();
      let failure: Error | undefined;
      ws.on('message', (data) => events.data(bytesOf(data)));
      ws.on('error', (err) => (failure ??= err));
      ws.on('close', () => events.closed(failure));
      ws.resume();
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    end: () => {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
      setTimeout(() => ws.terminate(), 2000).unref();
    },
    destroy: () => ws.terminate(),
  };
}

/**
 * The largest WebSocket message either end accepts (ws buffers a message whole): one frame of
 * the default payload limit. A longer message, or one that never ends, closes that connection.
 */
const MAX_MESSAGE = messageLimit(DEFAULT_MAX_PAYLOAD);

/** TLS settings for an upstream `tls://` or `wss://`. */
export type UpstreamTls = Pick<ConnectionOptions, 'rejectUnauthorized' | 'ca'>;

/** Connects to the upstream `address` (any Gotalk address) and resolves with its {@link End}. */
export function connectUpstream(address: string, tls: UpstreamTls, timeout: number): Promise<End> {
  const a = parseAddress(address);
  const where = formatAddress(a);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no connection within ${timeout} ms`)), timeout);
    let cancel = () => {};
    const fail = (err: Error) => {
      clearTimeout(timer);
      cancel();
      reject(new Error(`cannot connect to ${where}: ${err.message}`));
    };
    const done = (end: End) => {
      clearTimeout(timer);
      resolve(end);
    };
    if (a.kind === 'ws' || a.kind === 'wss') {
      const host = a.host.includes(':') ? `[${a.host}]` : a.host;
      const ws = new WebSocket(`${a.kind}://${host}:${a.port}${a.path}`, {
        origin: `${a.kind === 'wss' ? 'https' : 'http'}://${host}:${a.port}`,
        perMessageDeflate: false,
        maxPayload: MAX_MESSAGE,
        ...tls,
      });
      cancel = () => ws.terminate();
      ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim())));
      ws.once('error', fail);
      ws.once('open', () => {
        ws.removeAllListeners('error');
        done(webSocketEnd(ws, where));
      });
      return;
    }
    const socket =
      a.kind === 'unix'
        ? netConnect({ path: a.path })
        : a.kind === 'tcp'
          ? netConnect({ host: a.host, port: a.port })
          : tlsConnect({ host: a.host, port: a.port, servername: a.host, ...tls });
    cancel = () => socket.destroy();
    socket.once('error', fail);
    socket.once(a.kind === 'tls' ? 'secureConnect' : 'connect', () => {
      socket.off('error', fail);
      done(socketEnd(socket, where));
    });
  });
}

/** A listening trace endpoint. */
export interface TraceListener {
  /** The address listened on, port resolved. */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Listens at `address` (tcp, unix or ws; any path and Origin accepted for ws) and hands every
 * accepted connection to `accept` as an {@link End}.
 */
export async function listenTrace(address: string, accept: (end: End) => void): Promise<TraceListener> {
  const a = parseAddress(address);
  if (a.kind === 'tcp' || a.kind === 'unix') {
    const server = createNetServer((socket) => {
      socket.on('error', () => {});
      accept(socketEnd(socket, a.kind === 'unix' ? 'unix' : `${socket.remoteAddress}:${socket.remotePort}`));
    });
    if (a.kind === 'unix') {
      const unix = await listenUnix(server, a.path, 0o600);
      return { address: formatAddress(a), close: () => unix.close() };
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: a.host, port: a.port }, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    return { address: formatAddress({ ...a, port }), close: () => new Promise<void>((r) => server.close(() => r())) };
  }
  if (a.kind !== 'ws') throw new UsageError(`trace listens on tcp://, unix: or ws:// addresses, not ${a.kind}:// (the upstream may be any kind)`, 'trace');
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_MESSAGE });
  const http = createHttpServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`gotalk trace: WebSocket endpoint at ${a.path}\n`);
  });
  http.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    wss.handleUpgrade(req, socket, head, (ws) => accept(webSocketEnd(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`)));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ host: a.host, port: a.port }, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  return {
    address: formatAddress({ ...a, port }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
