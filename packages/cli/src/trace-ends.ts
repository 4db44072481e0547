import { dial, hostPort, listenHttp, listenSockets, parseAddress, SocketTransport, WebSocketTransport, type Listener, type Transport } from '@gotalk/node';
import { DEFAULT_MAX_PAYLOAD, messageLimit } from '@gotalk/protocol';
import type { ConnectionOptions } from 'node:tls';
import { WebSocketServer } from 'ws';
import { UsageError } from './args.ts';

/**
 * The largest WebSocket message either end accepts (ws buffers a message whole): one frame of
 * the default payload limit. A longer message, or one that never ends, closes that connection.
 */
const MAX_MESSAGE = messageLimit(DEFAULT_MAX_PAYLOAD);

/** TLS settings for an upstream `tls://` or `wss://`. */
export type UpstreamTls = Pick<ConnectionOptions, 'rejectUnauthorized' | 'ca'>;

/**
 * Connects to the upstream `address` (any Gotalk address) with the library's own dialer and
 * resolves with its transport; gives up after `timeout` ms (`CONNECT_TIMEOUT`).
 */
export async function connectUpstream(address: string, tls: UpstreamTls, timeout: number): Promise<Transport> {
  const attempt = new AbortController();
  const timer = setTimeout(() => attempt.abort(), timeout);
  try {
    return await dial(parseAddress(address), { tls }, attempt.signal);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Listens at `address` (tcp, unix or ws; any path and Origin accepted for ws) with the library's
 * own listeners and hands every accepted connection to `accept` as a transport, its `info.remote`
 * saying who is at the other end.
 */
export async function listenTrace(address: string, accept: (client: Transport) => void): Promise<Listener & { readonly address: string }> {
  const a = parseAddress(address);
  if (a.kind === 'tcp' || a.kind === 'unix') {
    const listener = await listenSockets(a, {}, (socket) => {
      socket.on('error', () => {});
      const remote = a.kind === 'unix' ? 'unix' : hostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
      accept(new SocketTransport(socket, { kind: a.kind, remote }));
    });
    return { address: listener.address!, close: () => listener.close() };
  }
  if (a.kind !== 'ws') throw new UsageError(`trace listens on tcp://, unix: or ws:// addresses, not ${a.kind}:// (the upstream may be any kind)`, 'trace');
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_MESSAGE });
  const listener = await listenHttp(a, {}, (http) => {
    http.on('request', (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`gotalk trace: WebSocket endpoint at ${a.path}\n`);
    });
    http.on('upgrade', (req, socket, head) => {
      socket.on('error', () => {});
      const remote = hostPort(req.socket.remoteAddress ?? '?', req.socket.remotePort ?? 0);
      wss.handleUpgrade(req, socket, head, (ws) => accept(new WebSocketTransport(ws, { kind: 'ws', remote })));
    });
  });
  return {
    address: listener.address,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      return listener.close();
    },
  };
}
