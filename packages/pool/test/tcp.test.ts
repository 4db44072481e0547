// Over real sockets: a pool fed by a @gotalk/node Server, whose workers dial in over TCP. Jobs
// spread over them; one worker's socket is cut mid-run and its repeatable jobs finish elsewhere.
import { afterEach, expect, test } from 'vitest';
import { connect, listen, type Peer, type Server } from '@gotalk/node';
import { Pool } from '@gotalk/pool';
import { waitFor } from '@gotalk/test-kit';

const closing: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c();
});

/** A worker process's side, in this process: dials the coordinator and serves `job`, counting what it ran. */
async function remoteWorker(address: string, name: string, hold: Promise<void>) {
  const peer = await connect(address, { heartbeatInterval: 0 });
  closing.push(() => peer.destroy());
  const ran: number[] = [];
  peer.handlers.handle('job', async (n) => {
    ran.push(n as number);
    await hold;
    return { n, by: name };
  });
  return { peer, ran };
}

test('workers dialling a server join the pool, share its jobs, and a cut socket fails over its repeatable jobs', async () => {
  const server: Server = await listen('tcp://127.0.0.1:0', { heartbeatInterval: 0 });
  closing.push(() => server.close());
  const pool = new Pool({ concurrency: 3, repeatable: ['job'] });
  closing.push(() => pool.close({ timeout: 100 }));
  const joined: Peer[] = [];
  server.on('connection', (peer) => joined.push(peer));
  pool.feed(server, { name: () => `remote-${joined.length}` });
  const address = server.addresses[0]!;

  let release!: () => void;
  const hold = new Promise<void>((resolve) => (release = resolve));
  const a = await remoteWorker(address, 'a', new Promise(() => {})); // never finishes: it will be cut
  const b = await remoteWorker(address, 'b', hold);
  await waitFor(() => pool.members.filter((m) => m.state === 'open').length === 2, 'both to join', 10_000);

  const jobs = Array.from({ length: 6 }, (_, i) => pool.request('job', i) as Promise<{ n: number; by: string }>);
  await waitFor(() => a.ran.length === 3 && b.ran.length === 3, '3 + 3 running', 10_000);
  const failovers: string[] = [];
  pool.on('failover', (e) => failovers.push(e.worker));
  a.peer.destroy(); // the socket closes: the coordinator sees its 3 jobs lost
  await waitFor(() => failovers.length === 3, 'the 3 failovers', 10_000);
  release();
  const results = await Promise.all(jobs);
  expect(results.map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(results.every((r) => r.by === 'b')).toBe(true);
  expect(b.ran.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  expect(new Set(failovers).size).toBe(1);
  expect(pool.figures()).toMatchObject({ completed: 6, failovers: 3, lost: 0, members: 1 });
});
