import { JSONRPCClient, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0';
import type { EchoClient } from './client.ts';
import { closeWs, openWs } from './ws-socket.ts';

/** json-rpc-2.0: a JSONRPCServerAndClient over a `ws` socket. */
export async function jsonRpcClient(url: string): Promise<EchoClient> {
  const ws = await openWs(url);
  const rpc = new JSONRPCServerAndClient(
    new JSONRPCServer(),
    new JSONRPCClient((request) => {
      ws.send(JSON.stringify(request));
    }),
  );
  ws.on('message', (data) => void rpc.receiveAndSend(JSON.parse(String(data))));
  return {
    payload: 'json',
    call: (v) => Promise.resolve(rpc.request('echo', v as object)),
    close: async () => {
      rpc.rejectAllPendingRequests('closed');
      await closeWs(ws);
    },
  };
}
