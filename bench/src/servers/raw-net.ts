// Raw baseline servers: length-prefixed echo over TCP and a Unix socket (each message parsed and
// written back, the writes of one read leaving together: corked until the read is parsed), the
// TCP one also behind a delayed link (tcpDelayed), and plain byte echo (pipe) for streams.
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { LengthPrefixed, lengthHeader } from './framing.ts';
import { listenNet } from './listen-net.ts';
import { delayedLink } from './delayed-link.ts';
import { serve } from './serve.ts';

function framedEcho(socket: Socket): void {
  socket.setNoDelay(true);
  const framing = new LengthPrefixed((message) => {
    socket.write(lengthHeader(message.length));
    socket.write(message);
  });
  socket.on('data', (chunk: Buffer) => {
    socket.cork();
    framing.push(chunk);
    socket.uncork();
  });
}

function pipeEcho(socket: Socket): void {
  socket.setNoDelay(true);
  socket.pipe(socket);
}

serve(async (dir) => {
  const sockets = new Set<Socket>();
  const tcp = await listenNet(framedEcho, 'tcp', sockets);
  const unix = await listenNet(framedEcho, { path: join(dir, 'raw.sock') }, sockets);
  const tcpPipe = await listenNet(pipeEcho, 'tcp', sockets);
  const unixPipe = await listenNet(pipeEcho, { path: join(dir, 'raw-pipe.sock') }, sockets);
  return {
    addresses: { tcp: tcp.address, unix: unix.address, tcpPipe: tcpPipe.address, unixPipe: unixPipe.address, tcpDelayed: await delayedLink(tcp.address) },
    connections: () => sockets.size,
  };
});
