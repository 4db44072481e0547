import { Pending, type EchoClient } from './client.ts';
import { corkPerTick, socketOf } from './cork.ts';
import { closeWs, openWs } from './ws-socket.ts';

/**
 * Raw `ws` echo client: one binary message per request, replies matched in order; the messages
 * of one tick leave together (the socket under it is corked until the next tick).
 */
export async function rawWsClient(url: string): Promise<EchoClient> {
  const ws = await openWs(url);
  const pending = new Pending<Buffer>();
  ws.on('message', (data) => pending.shift(data as Buffer));
  const cork = corkPerTick(socketOf(ws));
  return {
    payload: 'bytes',
    call(payload) {
      cork();
      ws.send(payload as Buffer, { binary: true });
      return new Promise((resolve) => pending.push(resolve));
    },
    close: () => closeWs(ws),
  };
}
