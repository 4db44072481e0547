// Tracking and figures: the outstanding jobs listed with op, worker, attempts, age and state;
// counts; utilization, queue length, wait and run time histograms (piscina's fields); events.
import { describe, expect, test } from 'vitest';
import { Histogram, Pool } from '@gotalk/pool';
import { waitFor } from '@gotalk/test-kit';
import { addWorker, Gate, record, usePools } from './support.ts';

const { pools, workers } = usePools();

describe('tracking', () => {
  test('jobs() lists every outstanding job, oldest first: op, worker, attempts, age and state', async () => {
    const p = new Pool({ concurrency: 1 });
    pools.push(p);
    const gate = new Gate();
    const w = await addWorker(p, 'w', gate);
    workers.push(w);
    const first = p.request('hold', 1);
    await waitFor(() => w.running === 1);
    const second = p.request('hold', 2, { repeatable: true });
    await new Promise((r) => setTimeout(r, 15));
    const jobs = p.jobs();
    expect(jobs.map(({ age: _age, ...j }) => j)).toEqual([
      { id: 1, op: 'hold', state: 'running', worker: 'w', attempts: 1, repeatable: false },
      { id: 2, op: 'hold', state: 'queued', worker: null, attempts: 0, repeatable: true },
    ]);
    expect(jobs[0]!.age).toBeGreaterThanOrEqual(jobs[1]!.age);
    expect(jobs[1]!.age).toBeGreaterThanOrEqual(10);
    expect(p.counts()).toEqual({ queued: 1, running: 1, retrying: 0, total: 2 });
    gate.open();
    await Promise.all([first, second]);
    expect(p.jobs()).toEqual([]);
  });
});

describe('figures', () => {
  test('counts, capacity, utilization and the wait and run time histograms', async () => {
    const p = new Pool({ concurrency: 2 });
    pools.push(p);
    const gate = new Gate();
    const a = await addWorker(p, 'a', gate);
    const b = await addWorker(p, 'b', gate);
    workers.push(a, b);
    const jobs = Array.from({ length: 6 }, (_, i) => p.request('hold', i));
    await waitFor(() => a.running + b.running === 4);
    await new Promise((r) => setTimeout(r, 30));
    const busy = p.figures();
    expect(busy).toMatchObject({ members: 2, capacity: 4, running: 4, queued: 2, completed: 0 });
    expect(busy.utilization).toBeGreaterThan(0);
    expect(busy.utilization).toBeLessThanOrEqual(1);
    expect(busy.workers.map((w) => [w.name, w.running, w.concurrency, w.state])).toEqual([
      ['a', 2, 2, 'open'],
      ['b', 2, 2, 'open'],
    ]);
    gate.open();
    await Promise.all(jobs);
    const done = p.figures();
    expect(done).toMatchObject({ running: 0, queued: 0, completed: 6, failed: 0 });
    expect(done.waitTime.count).toBe(6);
    expect(done.runTime.count).toBe(6);
    // Two jobs waited in the queue for the first ones (held at least 30 ms): the slowest wait shows it.
    expect(done.waitTime.max).toBeGreaterThanOrEqual(25);
    expect(done.runTime.max).toBeGreaterThanOrEqual(25);
    for (const key of ['average', 'mean', 'stddev', 'min', 'max', 'p0_001', 'p1', 'p2_5', 'p50', 'p97_5', 'p99', 'p99_999'] as const) {
      expect(typeof done.runTime[key]).toBe('number');
    }
    expect(done.workers[0]!.completed + done.workers[1]!.completed).toBe(6);
    expect(done.workers[0]!.runTime.count + done.workers[1]!.runTime.count).toBe(6);
    p.resetFigures();
    expect(p.figures().runTime.count).toBe(0);
    expect(p.figures().completed).toBe(6);
  });

  test('events: dispatch, settle, join and leave, each carrying the job or the member', async () => {
    const p = new Pool();
    pools.push(p);
    const seen = record(p, 'join', 'dispatch', 'settle', 'leave');
    const w = await addWorker(p, 'w');
    workers.push(w);
    await p.request('echo', 1);
    w.worker.destroy();
    await waitFor(() => seen.some((e) => e.kind === 'leave'));
    expect(seen.map((e) => e.kind)).toEqual(['join', 'dispatch', 'settle', 'leave']);
    expect(seen[1]!.value).toMatchObject({ worker: 'w', job: { id: 1, op: 'echo', state: 'running', attempts: 1 } });
    expect(seen[2]!.value).toMatchObject({ error: null, job: { id: 1, state: 'done' } });
  });
});

describe('the histogram', () => {
  test('percentiles within 3 % of the exact ones (from 64 µs; exact to the µs below), exact count, min, max and mean, over a wide range', () => {
    const h = new Histogram();
    const values: number[] = [];
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const v = 0.1 * Math.exp((x / 2 ** 31) * Math.log(5e7)); // 100 µs .. 5000 s, log-uniform
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    const exact = (p: number) => values[Math.max(0, Math.ceil((p / 100) * values.length) - 1)]!;
    for (const p of [0.1, 1, 10, 25, 50, 75, 90, 99, 99.9]) {
      const got = h.percentile(p);
      expect(Math.abs(got - exact(p)) / exact(p), `p${p}: ${got} vs ${exact(p)}`).toBeLessThan(0.03);
    }
    const s = h.summary();
    expect(s.count).toBe(20_000);
    expect(s.min).toBe(values[0]);
    expect(s.max).toBe(values.at(-1));
    expect(s.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
  });

  test('nothing recorded: every figure is 0', () => {
    const s = new Histogram().summary();
    expect(Object.values(s).every((v) => v === 0)).toBe(true);
  });
});
