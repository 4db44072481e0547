import type { EchoClient } from './client.ts';

/**
 * The implementations compared, each with the server script it talks to over TCP and Unix
 * sockets (`server`) and over WebSocket (`wsServer`), null where it does not run there.
 */
export const IMPLS = {
  raw: { server: 'servers/raw-net.ts', wsServer: 'servers/raw-ws.ts', kind: 'raw' },
  'gotalk bytes': { server: 'servers/gotalk.ts', wsServer: 'servers/gotalk.ts', kind: 'gotalk' },
  'gotalk json': { server: 'servers/gotalk.ts', wsServer: 'servers/gotalk.ts', kind: 'gotalk' },
  grpc: { server: 'servers/grpc.ts', wsServer: null, kind: 'peer' },
  birpc: { server: null, wsServer: 'servers/birpc.ts', kind: 'peer' },
  'json-rpc-2.0': { server: null, wsServer: 'servers/json-rpc.ts', kind: 'peer' },
  'socket.io': { server: null, wsServer: 'servers/socket-io.ts', kind: 'peer' },
} as const;

export type Impl = keyof typeof IMPLS;
export type Transport = 'tcp' | 'unix' | 'ws';

/** Opens one echo client of `impl` to `address` (loading only that implementation's module). */
export async function openClient(impl: Impl, transport: Transport, address: string): Promise<EchoClient> {
  switch (impl) {
    case 'raw':
      return transport === 'ws' ? (await import('./raw-ws.ts')).rawWsClient(address) : (await import('./raw-net.ts')).rawNetClient(address);
    case 'gotalk bytes':
      return (await import('./gotalk.ts')).gotalkClient(address, 'bytes');
    case 'gotalk json':
      return (await import('./gotalk.ts')).gotalkClient(address, 'json');
    case 'grpc':
      return (await import('./grpc.ts')).grpcClient(address);
    case 'birpc':
      return (await import('./birpc.ts')).birpcClient(address);
    case 'json-rpc-2.0':
      return (await import('./json-rpc.ts')).jsonRpcClient(address);
    case 'socket.io':
      return (await import('./socket-io.ts')).socketIoClient(address);
  }
}
