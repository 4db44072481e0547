import { connect, type Socket } from 'node:net';
import { LengthPrefixed, lengthHeader } from '../servers/framing.ts';
import { Pending, type EchoClient } from './client.ts';
import { corkPerTick } from './cork.ts';

/** Connects a plain socket to `tcp://host:port` or `unix:/path`. */
export function openSocket(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = address.startsWith('unix:')
      ? connect({ path: address.slice('unix:'.length) })
      : connect({ host: '127.0.0.1', port: Number(new URL(address).port) });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/**
 * Raw echo client: length-prefixed messages, pipelined; replies are matched in order. The
 * writes of one tick go out together (cork until the next tick), as a batching peer's would.
 */
export async function rawNetClient(address: string): Promise<EchoClient> {
  const socket = await openSocket(address);
  socket.on('error', () => {});
  const pending = new Pending<Buffer>();
  const framing = new LengthPrefixed((m) => pending.shift(m));
  socket.on('data', (chunk: Buffer) => framing.push(chunk));
  const cork = corkPerTick(socket);
  return {
    payload: 'bytes',
    call(payload) {
      const p = payload as Buffer;
      cork();
      socket.write(lengthHeader(p.length));
      socket.write(p);
      return new Promise((resolve) => pending.push(resolve));
    },
    close: () => new Promise((resolve) => socket.end(resolve)),
  };
}
