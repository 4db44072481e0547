// Raw baseline over WebSocket: a `ws` server echoing each message (the replies of one tick
// leave together: the socket under it is corked until the next tick).
import { WebSocketServer } from 'ws';
import { corkPerTick, socketOf } from '../clients/cork.ts';
import { listenHttp } from './listen-http.ts';
import { serve } from './serve.ts';

serve(async () => {
  const { http, port } = await listenHttp();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 0 });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    const cork = corkPerTick(socketOf(ws));
    ws.on('message', (data, isBinary) => {
      cork();
      ws.send(data as Buffer, { binary: isBinary });
    });
  });
  return { addresses: { ws: `ws://127.0.0.1:${port}/` }, connections: () => wss.clients.size };
});
