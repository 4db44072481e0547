// Failover: a retry result sends the job to another worker after its wait; a worker lost with
// jobs running sends the repeatable ones elsewhere and fails the others with WORKER_LOST naming
// it; attempts are bounded; nothing is lost and nothing that is not repeatable runs twice.
import { describe, expect, test } from 'vitest';
import { Pool, type PoolOptions } from '@gotalk/pool';
import { waitFor } from '@gotalk/test-kit';
import { errorOf, Gate, record, startsOf, usePools } from './support.ts';

const { pool, worker } = usePools();

describe('retry results', () => {
  test('a retry result sends the job to another worker after the wait it asked for', async () => {
    const p = pool();
    const refuses = await worker(p, 'refuses');
    const takes = await worker(p, 'takes');
    let refused = 0;
    refuses.worker.handlers.handle('job', (_v, ctx) => {
      refused++;
      ctx.retry(80, 'busy');
    });
    takes.worker.handlers.handle('job', (v) => ({ by: 'takes', v }));
    const seen = record(p, 'dispatch', 'retry');
    const at: number[] = [];
    p.on('dispatch', () => at.push(performance.now()));
    expect(await p.request('job', 1)).toEqual({ by: 'takes', v: 1 });
    expect(refused).toBe(1);
    expect(seen.map((e) => [e.kind, (e.value as { worker: string }).worker])).toEqual([
      ['dispatch', 'refuses'],
      ['retry', 'refuses'],
      ['dispatch', 'takes'],
    ]);
    expect((seen[1]!.value as { wait: number }).wait).toBe(80);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(75);
    expect(p.figures()).toMatchObject({ retries: 1, completed: 1, failed: 0 });
  });

  test('a retry result is safe for any op: a job not declared repeatable moves too', async () => {
    const p = pool();
    const a = await worker(p, 'a');
    const b = await worker(p, 'b');
    a.worker.handlers.handle('once', (_v, ctx) => ctx.retry(1));
    b.worker.handlers.handle('once', () => 'done');
    expect(await p.request('once', null, { repeatable: false })).toBe('done');
  });

  test('with one member, the job goes back to it after the wait', async () => {
    const p = pool();
    const w = await worker(p, 'only');
    let calls = 0;
    w.worker.handlers.handle('job', (_v, ctx) => (++calls === 1 ? ctx.retry(20) : 'second time'));
    expect(await p.request('job')).toBe('second time');
    expect(calls).toBe(2);
  });

  test('attempts are bounded: past `retries` more, RETRY_EXHAUSTED with the attempts made and the last wait', async () => {
    const p = pool({ retries: 2 });
    const ws = [await worker(p, 'a'), await worker(p, 'b')];
    let calls = 0;
    for (const w of ws)
      w.worker.handlers.handle('job', (_v, ctx) => {
        calls++;
        ctx.retry(5, 'always busy');
      });
    const err = await errorOf(p.request('job'));
    expect(err.code).toBe('RETRY_EXHAUSTED');
    expect(err.attempts).toBe(3);
    expect(err.wait).toBe(5);
    expect(err.message).toContain('always busy');
    expect(calls).toBe(3);
    // A request's own `retries` wins.
    calls = 0;
    expect((await errorOf(p.request('job', null, { retries: 0 }))).code).toBe('RETRY_EXHAUSTED');
    expect(calls).toBe(1);
  });

  test("the job's timeout covers the waits: a wait past it ends in TIMEOUT, not in another attempt", async () => {
    const p = pool();
    const w = await worker(p, 'slowpoke');
    let calls = 0;
    w.worker.handlers.handle('job', (_v, ctx) => {
      calls++;
      ctx.retry(60_000);
    });
    const started = performance.now();
    expect((await errorOf(p.request('job', null, { timeout: 50 }))).code).toBe('TIMEOUT');
    expect(performance.now() - started).toBeLessThan(5000);
    expect(calls).toBe(1);
  });
});

describe('a worker lost with jobs running', () => {
  /** Two workers holding 4 jobs each; `dying` is destroyed once all 8 run. */
  async function eightRunning(options: PoolOptions, request: (p: Pool, i: number) => Promise<unknown>) {
    const p = pool({ concurrency: 4, ...options });
    const never = new Gate();
    const later = new Gate();
    const dying = await worker(p, 'dying', never);
    const survivor = await worker(p, 'survivor', later);
    const results = Array.from({ length: 8 }, (_, i) =>
      request(p, i).then(
        (value) => ({ value }),
        (error: Error & { code?: string; worker?: string }) => ({ error }),
      ),
    );
    await waitFor(() => dying.running === 4 && survivor.running === 4, '4 + 4 running', 5000);
    const events = record(p, 'failover', 'leave');
    dying.worker.destroy();
    return { p, dying, survivor, results, events, later };
  }

  test('repeatable jobs run again on another worker: none lost, each result delivered once', async () => {
    const { p, dying, survivor, results, events, later } = await eightRunning({ repeatable: ['hold'] }, (p, i) => p.request('hold', i));
    await waitFor(() => events.filter((e) => e.kind === 'failover').length === 4, '4 failovers', 5000);
    expect(p.counts()).toMatchObject({ queued: 4, running: 4 }); // the survivor is full: they wait, ahead of new jobs
    later.open();
    const settled = await Promise.all(results);
    expect(settled.map((r) => ('value' in r ? r.value : r.error.code))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Executions: 4 cut short on the lost worker, 8 run to their end on the survivor (its 4 and the 4 moved).
    expect(startsOf(dying, 'hold')).toBe(4);
    expect(startsOf(survivor, 'hold')).toBe(8);
    expect(events.filter((e) => e.kind === 'failover').every((e) => (e.value as { worker: string }).worker === 'dying')).toBe(true);
    expect(p.figures()).toMatchObject({ completed: 8, failed: 0, failovers: 4, lost: 0, members: 1 });
    expect(p.figures().workers.map((w) => w.name)).toEqual(['survivor']);
  });

  test('jobs not declared repeatable fail with WORKER_LOST naming the worker, and never run again', async () => {
    const { p, dying, survivor, results, later } = await eightRunning({}, (p, i) => p.request('hold', i));
    later.open();
    const settled = await Promise.all(results);
    const lost = settled.filter((r) => 'error' in r).map((r) => (r as { error: Error & { code?: string; worker?: string } }).error);
    expect(lost).toHaveLength(4);
    for (const e of lost) {
      expect(e.code).toBe('WORKER_LOST');
      expect(e.worker).toBe('dying');
      expect(e.message).toContain('"dying"');
    }
    expect(settled.filter((r) => 'value' in r)).toHaveLength(4);
    expect(startsOf(dying, 'hold') + startsOf(survivor, 'hold')).toBe(8); // each ran exactly once
    expect(p.figures()).toMatchObject({ completed: 4, failed: 4, failovers: 0, lost: 4 });
  });

  test("a request's own `repeatable` wins over the pool's list, both ways", async () => {
    const { results, events, later } = await eightRunning({ repeatable: ['hold'] }, (p, i) => p.request('hold', i, { repeatable: i % 4 === 0 }));
    const moved = () => events.filter((e) => e.kind === 'failover').map((e) => (e.value as { job: { id: number } }).job.id);
    await waitFor(() => events.some((e) => e.kind === 'leave'), 'the member to leave', 5000);
    later.open();
    const settled = await Promise.all(results);
    const lost = settled.flatMap((r, i) => ('error' in r ? [i] : []));
    // Job ids count from 1 in the order of submission: job id - 1 is the request's index.
    const repeated = moved().map((id) => id - 1);
    expect(lost.length + repeated.length).toBe(4); // the 4 that ran on the lost worker
    expect(lost.length).toBeGreaterThan(0);
    expect(repeated.length).toBeGreaterThan(0);
    expect(lost.every((i) => i % 4 !== 0)).toBe(true);
    expect(repeated.every((i) => i % 4 === 0)).toBe(true);
  });

  test('a repeatable job whose every worker dies ends with WORKER_LOST after its attempts', async () => {
    const p = pool({ retries: 1, repeatable: () => true });
    const doomed = [await worker(p, 'd1'), await worker(p, 'd2'), await worker(p, 'd3')];
    for (const w of doomed)
      w.worker.handlers.handle('doom', () => {
        w.worker.destroy();
        return new Promise(() => {});
      });
    const err = await errorOf(p.request('doom'));
    expect(err.code).toBe('WORKER_LOST');
    expect(err.attempts).toBe(2);
    expect(doomed.filter((w) => !w.worker.open)).toHaveLength(2);
  });

  test("a handler's error is the job's result: not repeated, even when repeatable", async () => {
    const p = pool({ repeatable: ['fail'] });
    const ws = [await worker(p, 'a'), await worker(p, 'b')];
    let calls = 0;
    for (const w of ws)
      w.worker.handlers.handle('fail', () => {
        calls++;
        throw new Error('no such thing');
      });
    const err = await errorOf(p.request('fail'));
    expect(err.code).toBe('REMOTE_ERROR');
    expect(calls).toBe(1);
  });
});

describe('streams', () => {
  test('a stream result that has not begun moves like a request; one that has begun stays with its worker', async () => {
    const p = pool({ repeatable: ['parts'] });
    const first = await worker(p, 'first');
    const second = await worker(p, 'second');
    first.worker.handlers.handleStream('parts', (_parts, ctx) => ctx.retry(1));
    second.worker.handlers.handleStream('parts', async function* () {
      yield Uint8Array.of(1);
      yield Uint8Array.of(2);
    });
    expect(await p.stream('parts', Uint8Array.of(0)).collect()).toEqual(Uint8Array.of(1, 2));

    const gate = new Gate();
    second.worker.handlers.handleStream('parts', async function* (_parts, ctx) {
      yield Uint8Array.of(9);
      await gate.pass(ctx.signal);
    });
    await p.remove(first.member);
    const got: number[] = [];
    const err = await errorOf(
      (async () => {
        for await (const part of p.stream('parts', Uint8Array.of(0))) {
          got.push(part[0]!);
          second.worker.destroy();
        }
      })(),
    );
    expect(got).toEqual([9]);
    expect(err.code).toBe('WORKER_LOST');
    expect(err.worker).toBe('second');
  });
});
