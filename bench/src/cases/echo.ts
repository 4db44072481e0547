import type { EchoClient } from '../clients/client.ts';
import { bytesOf, jsonOf, sizeOf } from '../payloads.ts';
import { Latencies, sleep, within } from '../stats.ts';

export interface EchoResult {
  readonly requests: number;
  readonly seconds: number;
  readonly reqPerSec: number;
  /** Payload bytes echoed per second (one direction), 10^6. */
  readonly mbPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * Keeps `inflight` echo requests of `size` bytes outstanding on one connection: each of
 * `inflight` loops sends a request as soon as its previous reply arrived. Warms up, then counts
 * the replies (and times each request) for `timeMs`.
 */
export async function runEcho(client: EchoClient, size: number, inflight: number, warmupMs: number, timeMs: number): Promise<EchoResult> {
  const payload = client.payload === 'bytes' ? bytesOf(size) : jsonOf(size);
  const reply = await within(client.call(payload), 10_000, 'the first echo');
  if (sizeOf(reply) !== size) throw new Error(`the echo returned ${sizeOf(reply)} bytes for ${size}`);
  let phase: 'warm' | 'measure' | 'stop' = 'warm';
  const latencies = new Latencies();
  const loop = async () => {
    while (phase !== 'stop') {
      const start = performance.now();
      await client.call(payload);
      if (phase === 'measure') latencies.add(performance.now() - start);
    }
  };
  const loops = Promise.all(Array.from({ length: inflight }, loop));
  await sleep(warmupMs);
  phase = 'measure';
  const start = performance.now();
  await sleep(timeMs);
  phase = 'stop';
  const seconds = (performance.now() - start) / 1000;
  await within(loops, 10_000, 'draining the requests in flight');
  const [p50, p99] = latencies.percentiles(50, 99);
  return {
    requests: latencies.count,
    seconds,
    reqPerSec: latencies.count / seconds,
    mbPerSec: (latencies.count * size) / seconds / 1e6,
    p50Ms: p50!,
    p99Ms: p99!,
  };
}
