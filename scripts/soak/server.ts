// The soak's server, in a process of its own: a @gotalk/node server on TCP, WebSocket and a Unix
// socket with the operations the soak clients check, and a `stats` operation that reports this
// process's memory after a forced GC (run with --expose-gc), its open file descriptors and its
// active handles. Started by scripts/soak/main.ts, which tells it where to listen over IPC and
// is told back the addresses.
import { readdirSync } from 'node:fs';
import { listen } from '@gotalk/node';
import { payloadFor, type StatsReply } from './protocol.ts';

const gc = (globalThis as { gc?: () => void }).gc;

function stats(connections: number): StatsReply {
  if (gc) {
    gc();
    gc();
  }
  const handles: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) handles[type] = (handles[type] ?? 0) + 1;
  return { gc: gc !== undefined, memory: process.memoryUsage(), fds: readdirSync('/proc/self/fd').length, handles, connections, pid: process.pid };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Faults to make on purpose, for the soak's own test (that it notices them): answer some echoes
 * wrong, fail some (an error result), keep every echo payload (memory that only grows).
 */
export type Fault = 'wrong-echo' | 'fail-echo' | 'leak';

async function start(addresses: string[], faults: readonly Fault[]): Promise<void> {
  const server = await listen(addresses);
  const h = server.handlers;
  const kept: Uint8Array[] = [];
  let echoes = 0;
  h.handleBytes('echo', (p) => {
    if (faults.includes('leak')) kept.push(p.slice());
    echoes++;
    if (faults.includes('wrong-echo') && echoes % 50 === 0 && p.length > 0) return p.slice(1);
    if (faults.includes('fail-echo') && echoes % 50 === 25) throw new Error('failed on purpose');
    return p;
  });
  h.handle('echo-json', (v) => v);
  h.handle('delay', async (v) => {
    const { ms, value } = v as { ms: number; value: unknown };
    await sleep(Math.min(ms, 1000));
    return value;
  });
  h.handleStream('stream-echo', async function* (parts) {
    for await (const part of parts) yield part;
  });
  // Parts made from a seed: the client knows what each must be.
  h.handleStream('server-stream', async function* (parts) {
    let request = '';
    for await (const p of parts) request += new TextDecoder().decode(p);
    const { seed, count } = JSON.parse(request) as { seed: number; count: number };
    for (let i = 0; i < count; i++) yield payloadFor(seed, i);
  });
  h.handleBytes('call-back', async (p, ctx) => ctx.peer.requestBytes('client-reverse', p));
  h.onNotificationBytes('ping', (p, ctx) => ctx.peer.notifyBytes('pong', p));
  h.handle('stats', () => stats(server.peers.size));
  process.send!({ type: 'ready', addresses: server.addresses, pid: process.pid });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
}

process.once('message', (m: { addresses: string[]; faults?: Fault[] }) => {
  start(m.addresses, m.faults ?? []).catch((err: unknown) => {
    process.send!({ type: 'error', message: String(err) });
    process.exit(1);
  });
});
