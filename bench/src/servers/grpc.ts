// gRPC (@grpc/grpc-js) on TCP and a Unix socket: unary Echo and a bidirectional Stream, raw bytes (no protobuf).
import { join } from 'node:path';
import { Server, ServerCredentials, type ServerDuplexStream, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { ECHO_SERVICE } from './grpc-service.ts';
import { serve } from './serve.ts';

function bind(server: Server, target: string): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(target, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
}

/** Writes each message of a bidirectional call back, pausing while the reply side is full; ends with the client's end. */
function echoEach(call: ServerDuplexStream<Buffer, Buffer>): void {
  call.on('error', () => {});
  call.on('data', (message: Buffer) => {
    if (call.write(message)) return;
    call.pause();
    call.once('drain', () => call.resume());
  });
  call.on('end', () => call.end());
}

serve(async (dir) => {
  const server = new Server();
  server.addService(ECHO_SERVICE, {
    echo: (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => done(null, call.request),
    stream: echoEach,
  });
  const port = await bind(server, '127.0.0.1:0');
  const path = join(dir, 'grpc.sock');
  await bind(server, `unix:${path}`);
  return { addresses: { tcp: `tcp://127.0.0.1:${port}`, unix: `unix:${path}` }, connections: () => 0 };
});
