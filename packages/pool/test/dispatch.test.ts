// Choosing a worker: by the jobs in flight to each against its cap, by the load it reports
// (while fresh), never past its cap, and the better of two random members when there are many.
import { describe, expect, test } from 'vitest';
import { waitFor } from '@gotalk/test-kit';
import { Gate, record, startsOf, usePools } from './support.ts';

const { pool, worker } = usePools();

describe('choosing by requests in flight', () => {
  test('each job goes to the member with the fewest jobs in flight for its cap', async () => {
    const p = pool();
    const gate = new Gate();
    const small = await worker(p, 'small', gate, { concurrency: 2 });
    const large = await worker(p, 'large', gate, { concurrency: 4 });
    const jobs = Array.from({ length: 6 }, (_, i) => p.request('hold', i));
    await waitFor(() => small.running + large.running === 6, 'all 6 running', 5000);
    // The larger cap takes twice as many: each job went where the share of the cap in use was lowest.
    expect([small.running, large.running]).toEqual([2, 4]);
    gate.open();
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('while one member is busy, the idle one takes the next job', async () => {
    const p = pool({ concurrency: 4 });
    const gate = new Gate();
    const a = await worker(p, 'a', gate);
    const b = await worker(p, 'b', gate);
    const held = p.request('hold');
    await waitFor(() => a.running === 1, 'a running', 5000);
    for (let i = 0; i < 5; i++) await p.request('echo', i);
    expect([startsOf(a, 'echo'), startsOf(b, 'echo')]).toEqual([0, 5]);
    gate.open();
    await held;
  });
});

describe('choosing by reported load', () => {
  test('a member reporting 90 % load gets a job only once the others are fuller than that', async () => {
    const p = pool();
    const gate = new Gate();
    const busy = await worker(p, 'busy', gate, { concurrency: 4, load: Math.round(0.9 * 0xffff) });
    const idle = await worker(p, 'idle', gate, { concurrency: 4, load: 0 });
    await waitFor(() => busy.coordinator.remoteHeartbeat && idle.coordinator.remoteHeartbeat, 'both heartbeats', 5000);
    const jobs = Array.from({ length: 4 }, (_, i) => p.request('hold', i));
    await waitFor(() => busy.running + idle.running === 4, 'all 4 running', 5000);
    // idle: 1/4, 2/4, 3/4 beat busy's 0.9; a 4th would make idle full (1.0): busy takes it.
    expect({ busy: busy.running, idle: idle.running }).toEqual({ busy: 1, idle: 3 });
    const w = p.figures().workers.find((f) => f.name === 'busy')!;
    expect(w.load).toBeCloseTo(0.9, 3);
    gate.open();
    await Promise.all(jobs);
  });

  test('a load report older than staleLoad is ignored: only the jobs in flight count', async () => {
    const p = pool({ staleLoad: 1 });
    const gate = new Gate();
    const busy = await worker(p, 'busy', gate, { concurrency: 4, load: 0xffff });
    const idle = await worker(p, 'idle', gate, { concurrency: 4, load: 0 });
    await waitFor(() => busy.coordinator.remoteHeartbeat && idle.coordinator.remoteHeartbeat, 'both heartbeats', 5000);
    await waitFor(() => Date.now() - busy.coordinator.remoteHeartbeat!.receivedAt > 5, 'the report to go stale', 5000);
    const jobs = Array.from({ length: 4 }, (_, i) => p.request('hold', i));
    await waitFor(() => busy.running + idle.running === 4, 'all 4 running', 5000);
    expect({ busy: busy.running, idle: idle.running }).toEqual({ busy: 2, idle: 2 });
    expect(p.figures().workers.find((f) => f.name === 'busy')!.load).toBeNull();
    gate.open();
    await Promise.all(jobs);
  });
});

describe('the per-worker cap', () => {
  test('no member ever runs more jobs than its cap; the rest wait and all complete', async () => {
    const p = pool({ concurrency: 2 });
    const gate = new Gate();
    const a = await worker(p, 'a', gate);
    const b = await worker(p, 'b', gate);
    const jobs = Array.from({ length: 10 }, (_, i) => p.request('hold', i));
    await waitFor(() => a.running + b.running === 4, '4 running', 5000);
    expect(p.counts()).toEqual({ queued: 6, running: 4, retrying: 0, total: 10 });
    expect(p.figures().capacity).toBe(4);
    gate.open();
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a.peak).toBeLessThanOrEqual(2);
    expect(b.peak).toBeLessThanOrEqual(2);
    expect(startsOf(a, 'hold') + startsOf(b, 'hold')).toBe(10);
  });
});

describe('power of two choices', () => {
  test('with many members, a member worse than the others is never chosen', async () => {
    const p = pool({ concurrency: 4 });
    const gate = new Gate();
    const full = await worker(p, 'full', gate);
    const held = Array.from({ length: 3 }, () => p.request('hold'));
    await waitFor(() => full.running === 3, '3 jobs on the first member', 5000);
    const others = [await worker(p, 'b', gate), await worker(p, 'c', gate), await worker(p, 'd', gate)];
    const seen = record(p, 'dispatch');
    // One at a time: the others are always idle, and "full" loses every comparison it is drawn into.
    for (let i = 0; i < 60; i++) await p.request('echo', i);
    expect(startsOf(full, 'echo')).toBe(0);
    expect(others.reduce((n, w) => n + startsOf(w, 'echo'), 0)).toBe(60);
    expect(new Set(seen.map((e) => e.value.worker)).size).toBeGreaterThan(1); // spread among b, c, d
    gate.open();
    await Promise.all(held);
  });

  test('two members are drawn at random, and the better one wins', async () => {
    const draws = [0.1, 0.1, 0.9, 0.5];
    const p = pool({ concurrency: 4, random: () => draws.shift() ?? 0 });
    const gate = new Gate();
    const ws = [await worker(p, 'm0', gate), await worker(p, 'm1', gate), await worker(p, 'm2', gate)];
    // Draws 0.1 and 0.1: members 0 and 1 (the second draw skips the first), both idle: m0.
    const first = p.request('hold');
    await waitFor(() => ws[0]!.running === 1);
    // Draws 0.9 and 0.5: members 2 and 1; idle m2 against idle m1: the first drawn, m2.
    const second = p.request('hold');
    await waitFor(() => ws[2]!.running === 1);
    expect(ws.map((w) => w.running)).toEqual([1, 0, 1]);
    gate.open();
    await Promise.all([first, second]);
  });
});
