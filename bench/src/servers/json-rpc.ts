// json-rpc-2.0: a JSONRPCServerAndClient per `ws` connection.
import { JSONRPCClient, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0';
import { WebSocketServer } from 'ws';
import { listenHttp } from './listen-http.ts';
import { serve } from './serve.ts';

serve(async () => {
  const { http, port } = await listenHttp();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const methods = new JSONRPCServer();
  methods.addMethod('echo', (params: unknown) => params);
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    const rpc = new JSONRPCServerAndClient(
      methods,
      new JSONRPCClient((request) => {
        ws.send(JSON.stringify(request));
      }),
    );
    ws.on('message', (data) => void rpc.receiveAndSend(JSON.parse(String(data))));
  });
  return { addresses: { ws: `ws://127.0.0.1:${port}/` }, connections: () => wss.clients.size };
});
