// Gotalk: one server (shared handlers) on TCP, a Unix socket and WebSocket, and its TCP behind a
// delayed link (tcpDelayed). echo: bytes in, same bytes out; echo.json: JSON in, same value out;
// stream: each part echoed.
import { join } from 'node:path';
import { listen } from '@gotalk/node';
import { delayedLink } from './delayed-link.ts';
import { serve } from './serve.ts';

serve(async (dir) => {
  const server = await listen(['tcp://127.0.0.1:0', `unix:${join(dir, 'gotalk.sock')}`, 'ws://127.0.0.1:0/gotalk/'], {
    ws: { bundle: null },
    // The idle case holds thousands of connections from 127.0.0.1.
    maxConnections: 10_000,
    maxConnectionsPerAddress: 10_000,
  });
  server.on('error', () => {});
  server.handlers
    .handleBytes('echo', (payload) => payload)
    .handle('echo.json', (value) => value)
    .handleStream('stream', (parts) => parts);
  const [tcp, unix, ws] = server.addresses as [string, string, string];
  return { addresses: { tcp, unix, ws, tcpDelayed: await delayedLink(tcp) }, connections: () => server.peers.size };
});
