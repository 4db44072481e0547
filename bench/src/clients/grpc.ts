import { Client, credentials } from '@grpc/grpc-js';
import type { EchoClient } from './client.ts';
import { ECHO_SERVICE, grpcTarget } from '../servers/grpc-service.ts';

const same = (b: Buffer): Buffer => b;

/** Opens a gRPC channel to `address` (`tcp://…` or `unix:…`) and waits until it is connected. */
export async function openGrpc(address: string): Promise<Client> {
  const client = new Client(grpcTarget(address), credentials.createInsecure());
  await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())));
  return client;
}

/** gRPC unary calls of the raw-byte `Echo` method, one channel. */
export async function grpcClient(address: string): Promise<EchoClient> {
  const client = await openGrpc(address);
  const path = ECHO_SERVICE.echo.path;
  return {
    payload: 'bytes',
    call: (payload) =>
      new Promise((resolve, reject) => client.makeUnaryRequest(path, same, same, payload as Buffer, (err, reply) => (err ? reject(err) : resolve(reply)))),
    close: async () => client.close(),
  };
}
