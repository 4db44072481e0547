import { io } from 'socket.io-client';
import type { EchoClient } from './client.ts';

/** socket.io client (WebSocket transport only): `emit('echo', value, ack)`. */
export async function socketIoClient(url: string): Promise<EchoClient> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    payload: 'json',
    call: (v) => new Promise((resolve) => socket.emit('echo', v, resolve)),
    close: async () => {
      socket.close();
    },
  };
}
