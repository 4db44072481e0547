// Gather: one request to every member at once, past caps and the queue; every answer or error
// comes back by member, within the deadline, with a dead member named and a slow one timed out.
import { expect, test } from 'vitest';
import { z } from 'zod';
import { defineOperation, toJson } from '@gotalk/peer';
import { Pool } from '@gotalk/pool';
import { waitFor } from '@gotalk/test-kit';
import { addWorker, Gate, type TestWorker, usePools } from './support.ts';

const { pools, workers } = usePools();

async function three(): Promise<{ p: Pool; fast: TestWorker; slow: TestWorker; dying: TestWorker; slowCancelled: () => boolean }> {
  const p = new Pool({ concurrency: 1 });
  pools.push(p);
  const fast = await addWorker(p, 'fast');
  const slow = await addWorker(p, 'slow');
  const dying = await addWorker(p, 'dying');
  workers.push(fast, slow, dying);
  fast.worker.handlers.handle('status', () => 'fine');
  let slowCancelled = false;
  slow.worker.handlers.handle('status', (_v, ctx) => {
    ctx.signal.addEventListener('abort', () => (slowCancelled = true));
    return new Gate().pass(ctx.signal);
  });
  let asked = false;
  dying.worker.handlers.handle('status', () => {
    asked = true;
    return new Promise(() => {});
  });
  void waitFor(() => asked).then(() => dying.worker.destroy());
  return { p, fast, slow, dying, slowCancelled: () => slowCancelled };
}

test('gather: every member answers or fails by name, within the deadline; the slow one is told to stop', async () => {
  const { p, slowCancelled } = await three();
  const started = performance.now();
  const results = await p.gather('status', null, { timeout: 200 });
  const took = performance.now() - started;
  expect(results.map((r) => r.worker)).toEqual(['fast', 'slow', 'dying']);
  expect(results[0]).toEqual({ worker: 'fast', ok: true, value: 'fine' });
  const [, late, dead] = results as [
    unknown,
    { ok: false; error: Error & { code?: string } },
    { ok: false; error: Error & { code?: string; worker?: string } },
  ];
  expect(late.ok).toBe(false);
  expect(late.error.code).toBe('TIMEOUT');
  expect(dead.ok).toBe(false);
  expect(dead.error.code).toBe('WORKER_LOST');
  expect(dead.error.worker).toBe('dying');
  expect(took).toBeGreaterThanOrEqual(190);
  expect(took).toBeLessThan(5000);
  await waitFor(slowCancelled, "the slow member's cancel", 5000);
});

test('gather goes past caps and the queue: members busy with jobs still answer', async () => {
  const p = new Pool({ concurrency: 1 });
  pools.push(p);
  const gate = new Gate();
  const ws = [await addWorker(p, 'a', gate), await addWorker(p, 'b', gate)];
  workers.push(...ws);
  const held = [p.request('hold'), p.request('hold'), p.request('hold')];
  await waitFor(() => ws[0]!.running + ws[1]!.running === 2);
  expect(p.counts().queued).toBe(1);
  const results = await p.gather('work', 'ping');
  expect(results).toEqual([
    { worker: 'a', ok: true, value: { worker: 'a', value: 'ping' } },
    { worker: 'b', ok: true, value: { worker: 'b', value: 'ping' } },
  ]);
  expect(p.counts().queued).toBe(1);
  gate.open();
  await Promise.all(held);
});

test('a typed gather validates each answer; gatherBytes gives raw ones', async () => {
  const p = new Pool();
  pools.push(p);
  const ws = [await addWorker(p, 'good'), await addWorker(p, 'bad')];
  workers.push(...ws);
  const count = defineOperation('count', { input: z.null(), output: z.number() });
  ws[0]!.worker.handlers.handle('count', () => 3);
  ws[1]!.worker.handlers.handle('count', () => 'three');
  const typed = await p.gather(count, null);
  expect(typed[0]).toEqual({ worker: 'good', ok: true, value: 3 });
  expect(typed[1]!.ok).toBe(false);
  expect((typed[1] as { error: Error & { code?: string } }).error.code).toBe('VALIDATION');
  const raw = await p.gatherBytes('echo', toJson(1));
  expect(raw.map((r) => r.ok && new TextDecoder().decode(r.value))).toEqual(['1', '1']);
});

test('an aborted gather gives ABORTED for the answers still missing and keeps those already in', async () => {
  const { p } = await three();
  const controller = new AbortController();
  const pending = p.gather('status', null, { signal: controller.signal, timeout: 0 });
  await waitFor(() => p.members.length === 2, 'the dying member to leave', 5000);
  controller.abort();
  const results = await pending;
  expect(results.map((r) => (r.ok ? r.value : (r.error as Error & { code?: string }).code))).toEqual(['fine', 'ABORTED', 'WORKER_LOST']);
});
