import { openSocket } from '../clients/raw-net.ts';
import { gotalkNode } from '../gotalk-node.ts';
import { LengthPrefixed, lengthHeader } from '../servers/framing.ts';

export interface ConnectResult {
  readonly connections: number;
  readonly seconds: number;
  readonly perSec: number;
}

/** What a connection of the connect case does: `close` at once, or one `request` of {@link REQUEST_SIZE} bytes, then close. */
export type ConnectCase = 'close' | 'request';

/** Who connects: a raw socket, Gotalk with `connect()`'s defaults (it waits for the handshake), or Gotalk with `handshake: 'pipeline'`. */
export type ConnectImpl = 'raw' | 'gotalk' | 'gotalk pipeline';

/** Where the connect case connects: to the server itself, or through a link that holds every chunk a few ms each way. */
export type ConnectLink = 'loopback' | 'delayed';

/** The payload of the one request of the `request` case, bytes. */
export const REQUEST_SIZE = 32;

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

/** Gotalk: connect (over TCP; `wait`: until the version handshake is done) and close, or connect, one `requestBytes('echo')` and close; one at a time. */
async function gotalkConnects(
  what: ConnectCase,
  handshake: 'wait' | 'pipeline',
  address: string,
  warmupMs: number,
  ms: number,
  max: number,
): Promise<ConnectResult> {
  const { connect } = await gotalkNode();
  const payload = new Uint8Array(REQUEST_SIZE).fill(0x61);
  return loop(
    async () => {
      const peer = await connect(address, { handshake });
      if (what === 'request') await peer.requestBytes('echo', payload);
      await peer.close();
    },
    warmupMs,
    ms,
    max,
  );
}

/** Raw TCP: connect and close, or connect, one length-prefixed message to the echo server, its echo read back, and close; one at a time. */
function rawConnects(what: ConnectCase, address: string, warmupMs: number, ms: number, max: number): Promise<ConnectResult> {
  const message = Buffer.concat([lengthHeader(REQUEST_SIZE), Buffer.alloc(REQUEST_SIZE, 0x61)]);
  return loop(
    async () => {
      const socket = await openSocket(address);
      socket.on('error', () => {});
      if (what === 'request') {
        await new Promise<void>((resolve) => {
          const framing = new LengthPrefixed(() => resolve());
          socket.on('data', (chunk: Buffer) => framing.push(chunk));
          socket.write(message);
        });
      }
      socket.end();
    },
    warmupMs,
    ms,
    max,
  );
}

/** Measures `impl` on the connect case `what` against `address` (the raw echo server's for `raw`, the Gotalk server's otherwise). */
export function connects(what: ConnectCase, impl: ConnectImpl, address: string, warmupMs: number, ms: number, max: number): Promise<ConnectResult> {
  if (impl === 'raw') return rawConnects(what, address, warmupMs, ms, max);
  return gotalkConnects(what, impl === 'gotalk' ? 'wait' : 'pipeline', address, warmupMs, ms, max);
}
