import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server on a free loopback port (for the WebSocket servers). */
export function listenHttp(): Promise<{ http: Server; port: number }> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen({ host: '127.0.0.1', port: 0 }, () => resolve({ http, port: (http.address() as AddressInfo).port }));
  });
}
