// Request timeouts kept in per-timeout queues on one timer each.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Deadlines, type Expiring } from '../src/deadlines.ts';

class Item implements Expiring {
  finished = false;
  expiredAt: number | null = null;
  expire(): void {
    this.expiredAt = Date.now();
    this.finished = true;
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Deadlines', () => {
  it('expires each item after its own timeout, in order, with one timer per timeout value', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const start = Date.now();
    const d = new Deadlines();
    const a = new Item();
    d.add(a, 100);
    await vi.advanceTimersByTimeAsync(30);
    const b = new Item();
    d.add(b, 100);
    const c = new Item();
    d.add(c, 50);
    expect(vi.getTimerCount()).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    expect([a.expiredAt! - start, b.expiredAt! - start, c.expiredAt! - start]).toEqual([100, 130, 80]);
    expect(vi.getTimerCount()).toBe(0); // an empty queue keeps no timer
  });

  it('never expires an item that finished in time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const d = new Deadlines();
    const done = new Item();
    const late = new Item();
    d.add(done, 100);
    d.add(late, 100);
    done.finished = true;
    await vi.advanceTimersByTimeAsync(150);
    expect(done.expiredAt).toBeNull();
    expect(late.expiredAt).not.toBeNull();
  });

  it('stays small when finished items pile up behind a long-running one', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const d = new Deadlines();
    const stuck = new Item();
    d.add(stuck, 60_000);
    let live = new Item();
    for (let i = 0; i < 100_000; i++) {
      live.finished = true;
      live = new Item();
      d.add(live, 60_000);
    }
    // Without compaction it would hold 100,001 entries until the stuck one expires.
    expect(d.size).toBeLessThanOrEqual(4097);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('lets go of finished entries at the front as it goes (they hold requests and their payloads)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const d = new Deadlines();
    for (let i = 0; i < 100_000; i++) {
      const item = new Item();
      d.add(item, 30_000);
      item.finished = true;
    }
    expect(d.size).toBeLessThanOrEqual(2048);
  });

  it('close() stops its timers and ignores later items', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const d = new Deadlines();
    const a = new Item();
    d.add(a, 100);
    d.close();
    d.add(new Item(), 100);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(500);
    expect(a.expiredAt).toBeNull();
  });
});

describe('Deadlines with released items', () => {
  /** An item that releases its deadline when it finishes, as requests do. */
  function track(d: Deadlines, timeout: number): Item & { finish(): void } {
    const item = Object.assign(new Item(), { finish: () => {} });
    const deadline = d.add(item, timeout);
    item.finish = () => {
      item.finished = true;
      deadline.release();
    };
    return item;
  }

  it('keeps no timer, queue or entry for settled requests with many different timeouts', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const d = new Deadlines();
    for (let i = 0; i < 10_000; i++) track(d, 5_000 + i).finish();
    expect(d.size).toBeLessThanOrEqual(8); // the kept queues' last (finished) entries
    expect(d.queues).toBeLessThanOrEqual(8);
    expect(vi.getTimerCount()).toBeLessThanOrEqual(8);
  });

  it('reuses the armed timer of a timeout in steady use, one request after another', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const d = new Deadlines();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 1000; i++) track(d, 30_000).finish();
    expect(spy.mock.calls.length).toBe(1);
    expect(d.size).toBeLessThanOrEqual(1025); // finished entries are let go of in batches
    // The timer still expires a request added after the idle period began, at its own time.
    await vi.advanceTimersByTimeAsync(10_000);
    const late = track(d, 30_000);
    await vi.advanceTimersByTimeAsync(25_000);
    expect(late.expiredAt).toBeNull();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(late.expiredAt).not.toBeNull();
    expect(vi.getTimerCount()).toBe(0);
    spy.mockRestore();
  });

  it('releases made while items expire leave the queue consistent', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const d = new Deadlines();
    const items = Array.from({ length: 3 }, () => track(d, 100));
    for (const item of items) item.expire = () => item.finish();
    await vi.advanceTimersByTimeAsync(100);
    expect(items.every((i) => i.finished)).toBe(true);
    const next = track(d, 100);
    next.expire = () => {
      next.expiredAt = Date.now();
      next.finish();
    };
    await vi.advanceTimersByTimeAsync(100);
    expect(next.expiredAt).not.toBeNull();
    expect(d.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
