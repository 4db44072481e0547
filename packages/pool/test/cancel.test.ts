// Cancellation: aborting a pooled request fails it with ABORTED wherever it is. Queued or waiting
// out a retry, it never reaches a worker; running, its worker's handler sees its signal fire (the
// cancel extension), as it does for a timeout and for a stream result the caller stops reading.
import { expect, test } from 'vitest';
import { Pool, type PoolOptions } from '@gotalk/pool';
import { waitFor } from '@gotalk/test-kit';
import { addWorker, errorOf, Gate, startsOf, type TestWorker, usePools } from './support.ts';

const { pools, workers } = usePools();

async function setup(options: PoolOptions = {}): Promise<{ p: Pool; w: TestWorker; gate: Gate }> {
  const p = new Pool({ concurrency: 1, ...options });
  pools.push(p);
  const gate = new Gate();
  const w = await addWorker(p, 'w', gate);
  workers.push(w);
  return { p, w, gate };
}

test('aborting a queued job fails it at once with ABORTED, with the reason as its cause; it never runs', async () => {
  const { p, w, gate } = await setup();
  const running = p.request('hold', 'first');
  await waitFor(() => w.running === 1);
  const controller = new AbortController();
  const queued = errorOf(p.request('hold', 'second', { signal: controller.signal }));
  expect(p.jobs().map((j) => j.state)).toEqual(['running', 'queued']);
  controller.abort('changed my mind');
  const err = await queued;
  expect(err.code).toBe('ABORTED');
  expect(err.cause).toBe('changed my mind');
  expect(p.counts()).toMatchObject({ queued: 0, total: 1 });
  gate.open();
  expect(await running).toBe('first');
  expect(startsOf(w, 'hold')).toBe(1);
});

test("aborting a running job fails it with ABORTED, and its worker's handler sees its signal fire", async () => {
  const { p, w } = await setup();
  const controller = new AbortController();
  const pending = errorOf(p.request('hold', null, { signal: controller.signal }));
  await waitFor(() => w.running === 1);
  controller.abort();
  expect((await pending).code).toBe('ABORTED');
  await waitFor(() => w.cancels.get('hold') === 1, "the handler's signal", 5000);
  await waitFor(() => w.running === 0, 'the handler to end', 5000);
  expect(p.counts().total).toBe(0);
});

test('a signal aborted before the request is refused at once', async () => {
  const { p, w } = await setup();
  const err = await errorOf(p.request('hold', null, { signal: AbortSignal.abort() }));
  expect(err.code).toBe('ABORTED');
  expect(startsOf(w, 'hold')).toBe(0);
});

test('aborting a job that waits out a retry result ends it there: no further attempt', async () => {
  const { p, w } = await setup();
  let calls = 0;
  w.worker.handlers.handle('busy', (_v, ctx) => {
    calls++;
    ctx.retry(60_000);
  });
  const controller = new AbortController();
  const pending = errorOf(p.request('busy', null, { signal: controller.signal }));
  await waitFor(() => p.counts().retrying === 1, 'the job to be retrying', 5000);
  expect(p.jobs()[0]).toMatchObject({ op: 'busy', state: 'retrying', worker: 'w', attempts: 1 });
  controller.abort();
  expect((await pending).code).toBe('ABORTED');
  expect(calls).toBe(1);
  expect(p.counts()).toEqual({ queued: 0, running: 0, retrying: 0, total: 0 });
});

test("a timeout while running reaches the worker's handler too", async () => {
  const { p, w } = await setup();
  expect((await errorOf(p.request('hold', null, { timeout: 40 }))).code).toBe('TIMEOUT');
  await waitFor(() => w.cancels.get('hold') === 1, "the handler's signal", 5000);
});

test("a stream result the caller stops reading: the worker's producer is told and stops, the slot is free again", async () => {
  const { p, w } = await setup();
  let produced = 0;
  let stopped = false;
  w.worker.handlers.handleStream('ticks', async function* (_parts, ctx) {
    ctx.signal.addEventListener('abort', () => (stopped = true));
    while (!ctx.signal.aborted) {
      produced++;
      yield Uint8Array.of(produced & 0xff);
      await new Promise((r) => setTimeout(r, 1));
    }
  });
  let read = 0;
  for await (const _part of p.stream('ticks')) if (++read === 3) break;
  await waitFor(() => stopped, 'the producer to be told', 5000);
  expect(p.counts().total).toBe(0);
  expect(await p.request('echo', 'next')).toBe('next'); // the one slot is free
});

test('a stream job the caller gives up on while it is queued leaves the queue and never runs', async () => {
  const { p, w, gate } = await setup();
  let ran = 0;
  w.worker.handlers.handleStream('never', async function* () {
    ran++;
    yield Uint8Array.of(1);
  });
  const running = p.request('hold');
  await waitFor(() => w.running === 1);
  const stream = p.stream('never');
  const iterator = stream[Symbol.asyncIterator]();
  await iterator.return!();
  expect(p.counts()).toMatchObject({ queued: 0, total: 1 });
  gate.open();
  await running;
  expect(await p.request('echo', 'after')).toBe('after');
  expect(ran).toBe(0);
});
