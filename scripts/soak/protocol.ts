// What the soak's clients and server agree on: the stats reply, and payloads made from a seed.
import { Rng } from '../fuzz/rng.ts';

/** The `stats` operation's answer: the server process after a forced GC. */
export interface StatsReply {
  /** True when GC could be forced (the server runs with --expose-gc). */
  readonly gc: boolean;
  readonly memory: NodeJS.MemoryUsage;
  /** Open file descriptors (/proc/self/fd). */
  readonly fds: number;
  /** Active handles and requests by type (process.getActiveResourcesInfo()). */
  readonly handles: Record<string, number>;
  /** Connected peers. */
  readonly connections: number;
  readonly pid: number;
}

/** Part `index` of the stream made from `seed`: 0..2 KiB of bytes that depend on both. */
export function payloadFor(seed: number, index: number): Uint8Array {
  const rng = new Rng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  return rng.bytes(1 + rng.int(2048));
}
