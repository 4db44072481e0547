// The queue: bounded (a full queue refuses at once), first come first served, with its own
// timeout; a job's own timeout covers its time in the queue; members that join take what waits.
import { expect, test } from 'vitest';
import { connectedPeers } from '@gotalk/peer';
import { Pool, type PoolOptions } from '@gotalk/pool';
import { waitFor } from '@gotalk/test-kit';
import { addWorker, errorOf, Gate, record, startsOf, type TestWorker, usePools } from './support.ts';

const { workers, pool } = usePools();

async function oneSlot(options: PoolOptions = {}): Promise<{ p: Pool; w: TestWorker; gate: Gate }> {
  const p = pool({ concurrency: 1, ...options });
  const gate = new Gate();
  const w = await addWorker(p, 'w', gate);
  workers.push(w);
  return { p, w, gate };
}

test('a full queue refuses at once with QUEUE_FULL; what it holds still completes', async () => {
  const { p, w, gate } = await oneSlot({ maxQueue: 2 });
  const taken = [p.request('hold', 1), p.request('hold', 2), p.request('hold', 3)];
  await waitFor(() => w.running === 1);
  expect(p.counts()).toMatchObject({ queued: 2, running: 1 });
  const refused = await errorOf(p.request('hold', 4));
  expect(refused.code).toBe('QUEUE_FULL');
  expect(p.figures().failed).toBe(1);
  gate.open();
  expect(await Promise.all(taken)).toEqual([1, 2, 3]);
  expect(startsOf(w, 'hold')).toBe(3);
});

test('maxQueue 0: no waiting at all, a job for a busy pool is refused', async () => {
  const { p, w } = await oneSlot({ maxQueue: 0 });
  const running = p.request('hold');
  running.catch(() => {});
  await waitFor(() => w.running === 1);
  expect((await errorOf(p.request('hold'))).code).toBe('QUEUE_FULL');
});

test('jobs leave the queue in the order they came', async () => {
  const { p, gate } = await oneSlot();
  const seen = record(p, 'dispatch');
  const jobs = Array.from({ length: 6 }, (_, i) => p.request('hold', i));
  await waitFor(() => seen.length === 1);
  gate.open();
  await Promise.all(jobs);
  expect(seen.map((e) => e.value.job.id)).toEqual([...seen.map((e) => e.value.job.id)].sort((x, y) => x - y));
  expect(seen.map((e) => e.value.job.op)).toEqual(Array(6).fill('hold'));
});

test('queueTimeout: a job no worker takes in time fails with QUEUE_TIMEOUT and never runs', async () => {
  const { p, w, gate } = await oneSlot({ queueTimeout: 40 });
  const running = p.request('hold', 'first');
  await waitFor(() => w.running === 1);
  const started = performance.now();
  const waited = await errorOf(p.request('hold', 'second'));
  expect(waited.code).toBe('QUEUE_TIMEOUT');
  expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  gate.open();
  expect(await running).toBe('first');
  expect(startsOf(w, 'hold')).toBe(1);
  expect(p.counts().total).toBe(0);
});

test("a request's own queueTimeout wins over the pool's, and a late short one is not held up by an early long one", async () => {
  const { p, w, gate } = await oneSlot({ queueTimeout: 60_000 });
  const running = p.request('hold');
  await waitFor(() => w.running === 1);
  const long = p.request('hold', 'long');
  const short = errorOf(p.request('hold', 'short', { queueTimeout: 30 }));
  expect((await short).code).toBe('QUEUE_TIMEOUT');
  expect(p.counts().queued).toBe(1);
  gate.open();
  await running;
  expect(await long).toBe('long');
});

test("a request's timeout covers its time in the queue: TIMEOUT, and it never runs", async () => {
  const { p, w, gate } = await oneSlot();
  const running = p.request('hold');
  await waitFor(() => w.running === 1);
  expect((await errorOf(p.request('hold', null, { timeout: 30 }))).code).toBe('TIMEOUT');
  gate.open();
  await running;
  expect(startsOf(w, 'hold')).toBe(1);
});

test('with no member, jobs wait; the first member to join takes them', async () => {
  const p = pool();
  const jobs = [p.request('echo', 1), p.request('echo', 2)];
  expect(p.counts().queued).toBe(2);
  const [coordinator, worker] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
  worker.handlers.handle('echo', (v) => v);
  p.add(coordinator, { name: 'late' });
  expect(await Promise.all(jobs)).toEqual([1, 2]);
  worker.destroy();
});

test('a queue past a thousand jobs that mostly left early stays small, and what remains is dispatched in order', async () => {
  const { p, w, gate } = await oneSlot({ maxQueue: 5000 });
  const running = p.request('hold', 'first');
  await waitFor(() => w.running === 1);
  const controllers = Array.from({ length: 3000 }, () => new AbortController());
  const dropped = controllers.map((c, i) => errorOf(p.request('hold', i, { signal: c.signal })));
  const kept = [p.request('hold', 'a'), p.request('hold', 'b')];
  for (const c of controllers) c.abort();
  expect((await Promise.all(dropped)).every((e) => e.code === 'ABORTED')).toBe(true);
  expect(p.counts().queued).toBe(2);
  gate.open();
  expect(await Promise.all([running, ...kept])).toEqual(['first', 'a', 'b']);
  expect(startsOf(w, 'hold')).toBe(3);
});
