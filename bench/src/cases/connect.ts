import { openSocket } from '../clients/raw-net.ts';
import { gotalkNode } from '../gotalk-node.ts';

export interface ConnectResult {
  readonly connections: number;
  readonly seconds: number;
  readonly perSec: number;
}

/** Runs `once` back to back for `ms` (at most `max` times) after a short warm-up. */
async function loop(once: () => Promise<void>, warmupMs: number, ms: number, max: number): Promise<ConnectResult> {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await once();
  const start = performance.now();
  let n = 0;
  while (n < max && performance.now() - start < ms) {
    await once();
    n++;
  }
  const seconds = (performance.now() - start) / 1000;
  return { connections: n, seconds, perSec: n / seconds };
}

/** Gotalk: connect (TCP, version handshake) and close, one at a time. */
export async function gotalkConnects(address: string, warmupMs: number, ms: number, max: number): Promise<ConnectResult> {
  const { connect } = await gotalkNode();
  return loop(
    async () => {
      const peer = await connect(address);
      await peer.close();
    },
    warmupMs,
    ms,
    max,
  );
}

/** Raw TCP: connect and close, one at a time. */
export function rawConnects(address: string, warmupMs: number, ms: number, max: number): Promise<ConnectResult> {
  return loop(
    async () => {
      const socket = await openSocket(address);
      socket.on('error', () => {});
      socket.end();
    },
    warmupMs,
    ms,
    max,
  );
}
