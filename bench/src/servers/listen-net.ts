import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** Listens with a plain net server on loopback TCP (port 0) or a Unix socket path; resolves with its address. */
export function listenNet(
  onSocket: (socket: Socket) => void,
  where: 'tcp' | { path: string },
  sockets?: Set<Socket>,
): Promise<{ server: Server; address: string }> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    if (sockets) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    onSocket(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      const a = server.address() as AddressInfo | string;
      resolve({ server, address: typeof a === 'string' ? `unix:${a}` : `tcp://127.0.0.1:${a.port}` });
    };
    if (where === 'tcp') server.listen({ host: '127.0.0.1', port: 0 }, done);
    else server.listen({ path: where.path }, done);
  });
}
