// close(): no new jobs, the outstanding ones (queued too) finish within the timeout, then what is
// left fails with CLOSED and is cancelled on its worker; members the pool started are closed.
import { afterEach, expect, test } from 'vitest';
import { connectedPeers, type Peer } from '@gotalk/peer';
import { Pool } from '@gotalk/pool';
import { waitFor } from '@gotalk/test-kit';
import { addWorker, errorOf, Gate, type TestWorker } from './support.ts';

const workers: TestWorker[] = [];
const peers: Peer[] = [];
afterEach(() => {
  for (const w of workers.splice(0)) w.worker.destroy();
  for (const p of peers.splice(0)) p.destroy();
});

test('close() refuses new jobs with CLOSED and resolves once running and queued jobs are done', async () => {
  const p = new Pool({ concurrency: 1 });
  const gate = new Gate();
  const w = await addWorker(p, 'w', gate);
  workers.push(w);
  const jobs = [p.request('hold', 1), p.request('hold', 2), p.request('hold', 3)];
  await waitFor(() => w.running === 1);
  let closed = false;
  const closing = p.close({ timeout: 60_000 }).then(() => (closed = true));
  expect(p.state).toBe('closing');
  expect((await errorOf(p.request('echo'))).code).toBe('CLOSED');
  expect(() => p.add(connectedPeers()[0])).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  expect(await p.gather('echo', 'still there')).toEqual([{ worker: 'w', ok: true, value: 'still there' }]);
  expect(closed).toBe(false);
  gate.open();
  expect(await Promise.all(jobs)).toEqual([1, 2, 3]);
  await closing;
  expect(p.state).toBe('closed');
  expect(p.members).toEqual([]);
  expect(w.coordinator.open).toBe(true); // a member the caller added stays connected
});

test("past close()'s timeout, what is outstanding fails with CLOSED; a started worker still running is ended, its handler sees its signal", async () => {
  const p = new Pool({ concurrency: 1 });
  let cancelled = 0;
  let worker: Peer | null = null;
  const member = await p.start(async () => {
    const [coordinator, w] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
    peers.push(w);
    worker = w;
    w.handlers.handle('hold', (_v, ctx) => new Gate().pass(ctx.signal).finally(() => cancelled++));
    return coordinator;
  });
  const running = errorOf(p.request('hold'));
  const queued = errorOf(p.request('hold'));
  await waitFor(() => member.running === 1);
  const started = performance.now();
  await p.close({ timeout: 50 });
  expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  expect((await running).code).toBe('CLOSED');
  expect((await queued).code).toBe('CLOSED');
  await waitFor(() => cancelled === 1, "the running handler's signal");
  expect(worker!.open).toBe(false);
  expect(p.counts().total).toBe(0);
  expect(p.figures().failed).toBe(2);
});

test("past close()'s timeout, a member the caller added is left connected, and its job's late result is ignored", async () => {
  const p = new Pool({ concurrency: 1 });
  const gate = new Gate();
  const w = await addWorker(p, 'w', gate);
  workers.push(w);
  const running = errorOf(p.request('hold'));
  await waitFor(() => w.running === 1);
  await p.close({ timeout: 30 });
  expect((await running).code).toBe('CLOSED');
  expect(w.coordinator.open).toBe(true);
  gate.open();
  await waitFor(() => w.running === 0, 'the handler to end');
  expect(p.figures()).toMatchObject({ completed: 0, failed: 1 });
});

test('close() closes the members the pool started, and starts none again', async () => {
  const p = new Pool();
  const restarts: unknown[] = [];
  p.on('restart', (e) => restarts.push(e));
  const factory = async () => {
    const [coordinator, worker] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
    peers.push(worker);
    worker.handlers.handle('echo', (v) => v);
    return coordinator;
  };
  const m = await p.start(factory, { name: 'owned', restart: { minDelay: 1, maxDelay: 5 } });
  expect(await p.request('echo', 'x')).toBe('x');
  await p.close();
  expect(m.connection.open).toBe(false);
  expect(m.state).toBe('gone');
  expect(restarts).toEqual([]); // a restart is announced when the member leaves, before its delay
  expect((await errorOf(p.start(factory))).code).toBe('CLOSED');
});

test('close() twice gives the same promise; with nothing outstanding it resolves at once', async () => {
  const p = new Pool();
  const a = p.close();
  expect(p.close()).toBe(a);
  await a;
  expect(p.state).toBe('closed');
});
