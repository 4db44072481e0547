// birpc over a `ws` socket, with its documented post/on hooks and JSON serialization.
import { createBirpc } from 'birpc';
import { WebSocketServer } from 'ws';
import { listenHttp } from './listen-http.ts';
import { serve } from './serve.ts';

serve(async () => {
  const { http, port } = await listenHttp();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    createBirpc<Record<string, never>, { echo(value: unknown): unknown }>(
      { echo: (value) => value },
      {
        post: (data) => ws.send(data),
        on: (fn) => ws.on('message', fn),
        serialize: (v) => JSON.stringify(v),
        deserialize: (v) => JSON.parse(String(v)),
      },
    );
  });
  return { addresses: { ws: `ws://127.0.0.1:${port}/` }, connections: () => wss.clients.size };
});
