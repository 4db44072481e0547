import { connect, type Socket } from 'node:net';
import { listenNet } from './listen-net.ts';

/** How long the delayed link holds each chunk, each way, ms: a round trip of 10 ms, as to a nearby data centre. */
export const LINK_DELAY_MS = 5;

/** Forwards what `from` sends to `to` after `LINK_DELAY_MS`, its end too (timers of one delay fire in order). */
function forward(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => setTimeout(() => to.write(chunk), LINK_DELAY_MS));
  from.on('end', () => setTimeout(() => to.end(), LINK_DELAY_MS));
  from.on('close', () => setTimeout(() => to.destroy(), LINK_DELAY_MS));
}

/**
 * A loopback TCP listener in front of the server at `tcp://127.0.0.1:port` that holds every chunk
 * `LINK_DELAY_MS` in each direction: a slower link for the connect case, so that a round trip
 * costs more than the work on either side. (Connecting to it is as fast as ever: only the bytes
 * are held.) Resolves with its address.
 */
export async function delayedLink(target: string): Promise<string> {
  const port = Number(new URL(target).port);
  const { address } = await listenNet((client) => {
    client.setNoDelay(true);
    const server = connect({ host: '127.0.0.1', port });
    server.setNoDelay(true);
    server.on('error', () => client.destroy());
    client.on('error', () => server.destroy());
    forward(client, server);
    forward(server, client);
  }, 'tcp');
  return address;
}
