// socket.io: an `echo` event answered through its acknowledgement callback.
import { Server } from 'socket.io';
import { listenHttp } from './listen-http.ts';
import { serve } from './serve.ts';

serve(async () => {
  const { http, port } = await listenHttp();
  const io = new Server(http, { serveClient: false, perMessageDeflate: false, transports: ['websocket'], maxHttpBufferSize: 1e8 });
  io.on('connection', (socket) => {
    socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value));
  });
  return { addresses: { ws: `http://127.0.0.1:${port}` }, connections: () => io.engine.clientsCount };
});
