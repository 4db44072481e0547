import { openSocket } from '../clients/raw-net.ts';
import { bytesOf } from '../payloads.ts';
import { sleep, within } from '../stats.ts';
import { gotalkNode } from '../gotalk-node.ts';

export interface StreamResult {
  readonly bytes: number;
  readonly seconds: number;
  /** Bytes echoed back per second, 10^6. */
  readonly mbPerSec: number;
}

export const PART = 64 * 1024;

/** Samples a byte counter: warm up, then count what arrives during `timeMs`. */
async function sample(received: () => number, warmupMs: number, timeMs: number): Promise<StreamResult> {
  await sleep(warmupMs);
  const base = received();
  const start = performance.now();
  await sleep(timeMs);
  const bytes = received() - base;
  const seconds = (performance.now() - start) / 1000;
  return { bytes, seconds, mbPerSec: bytes / seconds / 1e6 };
}

/** One Gotalk `stream()` call sending 64 KiB parts that the server echoes part by part. */
export async function gotalkStream(address: string, warmupMs: number, timeMs: number): Promise<StreamResult> {
  const peer = await (await gotalkNode()).connect(address);
  const chunk = bytesOf(PART);
  let stop = false;
  let received = 0;
  async function* parts() {
    while (!stop) yield chunk;
  }
  const reading = (async () => {
    for await (const part of peer.stream('stream', parts())) received += part.length;
  })();
  reading.catch(() => {});
  const result = await sample(() => received, warmupMs, timeMs);
  stop = true;
  await within(reading, 10_000, 'ending the stream');
  await peer.close();
  return result;
}

/** A byte stream both ways: a socket, or a gRPC bidirectional call. */
interface Duplex {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
}

/** Writes 64 KiB chunks to `d` as fast as it drains and counts the bytes it reads back, for `warmupMs` + `timeMs`. */
async function echoThrough(d: Duplex, warmupMs: number, timeMs: number): Promise<StreamResult> {
  const chunk = bytesOf(PART);
  let received = 0;
  let stop = false;
  d.on('data', (c) => (received += c.length));
  const pump = () => {
    while (!stop) {
      if (!d.write(chunk)) return void d.once('drain', pump);
    }
  };
  pump();
  const result = await sample(() => received, warmupMs, timeMs);
  stop = true;
  return result;
}

/** 64 KiB chunks written to a plain echo socket as fast as it drains; bytes read back counted. */
export async function rawStream(address: string, warmupMs: number, timeMs: number): Promise<StreamResult> {
  const socket = await openSocket(address);
  socket.on('error', () => {});
  const result = await echoThrough(socket, warmupMs, timeMs);
  socket.destroy();
  return result;
}

/** One gRPC bidirectional `Stream` call sending 64 KiB messages (as fast as it drains) that the server echoes. */
export async function grpcStream(address: string, warmupMs: number, timeMs: number): Promise<StreamResult> {
  const { openGrpc } = await import('../clients/grpc.ts');
  const { ECHO_SERVICE } = await import('../servers/grpc-service.ts');
  const client = await openGrpc(address);
  const same = (b: Buffer) => b;
  const call = client.makeBidiStreamRequest(ECHO_SERVICE.stream.path, same, same);
  call.on('error', () => {});
  const result = await echoThrough(call, warmupMs, timeMs);
  call.cancel();
  client.close();
  return result;
}
