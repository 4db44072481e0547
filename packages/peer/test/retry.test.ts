import { afterEach, describe, expect, test, vi } from 'vitest';
import { backoff, connectedPeers, RetryExhaustedError, RetryLater, ReplyText, TimeoutError, type ActivityEvent } from '@gotalk/peer';
import { bytes, deferred, delay, errorOf, str, useFakeClocks, waitFor } from '@gotalk/test-kit';
import { framesOf, rawPeer, tappedPeers } from './helpers.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** A handler that asks for a retry `times` times (by throwing RetryLater), then answers its call count. */
function flaky(times: number, wait: number, how: 'throw' | 'ctx' = 'throw', message?: string) {
  let calls = 0;
  const handler = (_v: unknown, ctx: { retry(wait?: number, message?: string): never }) => {
    calls++;
    if (calls <= times) {
      if (how === 'ctx') ctx.retry(wait, message);
      throw new RetryLater(wait, message);
    }
    return calls;
  };
  return { handler, calls: () => calls };
}

describe('retry results', () => {
  test('a handler throwing RetryLater: the requestor waits, retries under a new id and succeeds', async () => {
    const { a, b, sent } = tappedPeers();
    const f = flaky(2, 40);
    b.handlers.handle('flaky', f.handler);
    const start = Date.now();
    expect(await a.request('flaky', 'v')).toBe(3);
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(75); // two waits of 40 ms
    expect(elapsed).toBeLessThan(3000);
    const rs = framesOf(sent('a'), 'r');
    expect(rs).toHaveLength(3);
    expect(new Set(rs.map((r) => r.id)).size).toBe(3); // a new id each time
    expect(rs.every((r) => str(r.payload) === '"v"')).toBe(true); // the same payload each time
    const es = framesOf(sent('b'), 'e');
    expect(es.map((e) => [e.id, e.wait, str(e.payload)])).toEqual([
      [rs[0]!.id, 40, 'retry later'],
      [rs[1]!.id, 40, 'retry later'],
    ]);
    expect(framesOf(sent('b'), 'R').map((r) => r.id)).toEqual([rs[2]!.id]);
    a.destroy();
  });

  test('ctx.retry(wait, message) answers a retry result with that wait and text', async () => {
    const { a, b, sent } = tappedPeers();
    const f = flaky(1, 25, 'ctx', 'busy, come back');
    b.handlers.handle('flaky', f.handler);
    const start = Date.now();
    expect(await a.request('flaky')).toBe(2);
    expect(Date.now() - start).toBeGreaterThanOrEqual(20);
    const [e] = framesOf(sent('b'), 'e');
    expect(e!.wait).toBe(25);
    expect(str(e!.payload)).toBe('busy, come back');
    a.destroy();
  });

  test('an async handler rejecting with RetryLater works the same', async () => {
    const [a, b] = connectedPeers();
    let calls = 0;
    b.handlers.handle('later', async () => {
      await delay(1);
      if (++calls === 1) throw new RetryLater(10);
      return 'done';
    });
    expect(await a.request('later')).toBe('done');
    expect(calls).toBe(2);
    a.destroy();
  });

  test('wait 0 retries after a small backoff', async () => {
    const { a, b, sent } = tappedPeers();
    const f = flaky(1, 0);
    b.handlers.handle('flaky', f.handler);
    const start = Date.now();
    expect(await a.request('flaky')).toBe(2);
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(backoff(1) - 10);
    expect(elapsed).toBeLessThan(2000);
    expect(framesOf(sent('b'), 'e')[0]!.wait).toBe(0);
    expect([backoff(1), backoff(2), backoff(3), backoff(10), backoff(100)]).toEqual([50, 100, 200, 2000, 2000]);
    a.destroy();
  });

  test('RetryLater clamps its wait into the wire range', () => {
    expect(new RetryLater(-5).wait).toBe(0);
    expect(new RetryLater(1.6).wait).toBe(2);
    expect(new RetryLater(2 ** 40).wait).toBe(0xffffffff);
    expect(new RetryLater().wait).toBe(0);
  });

  test('gives up after `retries` retries with RetryExhaustedError RETRY_EXHAUSTED', async () => {
    const { a, b, sent } = tappedPeers();
    b.handlers.handle('never', () => {
      throw new RetryLater(5, 'not now');
    });
    const err = await errorOf(a.request('never', null, { retries: 2 }));
    expect(err).toBeInstanceOf(RetryExhaustedError);
    expect(err.code).toBe('RETRY_EXHAUSTED');
    expect((err as RetryExhaustedError).attempts).toBe(3);
    expect((err as RetryExhaustedError).wait).toBe(5);
    expect(err.message).toContain('not now');
    expect(framesOf(sent('a'), 'r')).toHaveLength(3);
    expect(a.inFlight).toBe(0);
    a.destroy();
  });

  test('the default number of retries comes from the peer options (default 3)', async () => {
    const [a, b] = connectedPeers({ retries: 1 });
    const [c, d] = connectedPeers();
    let calls = 0;
    const refuse = () => {
      calls++;
      throw new RetryLater(1);
    };
    b.handlers.handle('never', refuse);
    d.handlers.handle('never', refuse);
    expect((await errorOf(a.request('never'))).code).toBe('RETRY_EXHAUSTED');
    expect(calls).toBe(2);
    calls = 0;
    expect((await errorOf(c.request('never'))).code).toBe('RETRY_EXHAUSTED');
    expect(calls).toBe(4);
    calls = 0;
    expect((await errorOf(c.request('never', null, { retries: 0 }))).code).toBe('RETRY_EXHAUSTED');
    expect(calls).toBe(1);
    a.destroy();
    c.destroy();
  });

  test('retries are bounded by the request timeout', async () => {
    useFakeClocks(); // the retry that must not come is due in 10 s: the clock is moved past it
    const { a, b, sent } = tappedPeers();
    b.handlers.handle('slowly', () => {
      throw new RetryLater(10_000);
    });
    const start = Date.now();
    const failed = errorOf(a.request('slowly', null, { timeout: 80, retries: 100 }));
    await vi.advanceTimersByTimeAsync(80);
    const err = await failed;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe('TIMEOUT');
    expect(Date.now() - start).toBeLessThan(2000);
    await vi.advanceTimersByTimeAsync(60_000); // past the retry's 10 s
    expect(framesOf(sent('a'), 'r')).toHaveLength(1);
    expect(a.inFlight).toBe(0);
    a.destroy();
  });

  test('many short retries also stop at the timeout', async () => {
    useFakeClocks();
    const [a, b] = connectedPeers();
    let calls = 0;
    b.handlers.handle('busy', () => {
      calls++;
      throw new RetryLater(5);
    });
    const failed = errorOf(a.request('busy', null, { timeout: 100, retries: 1_000_000 }));
    await vi.advanceTimersByTimeAsync(100);
    const err = await failed;
    expect(err.code).toBe('TIMEOUT');
    const at = calls;
    expect(at).toBeGreaterThan(1);
    await vi.advanceTimersByTimeAsync(60_000); // hundreds of 5 ms retry waits
    expect(calls).toBe(at); // no retry after the request ended
    a.destroy();
  });

  test('aborting during the wait before a retry rejects at once and sends nothing more', async () => {
    const { a, b, sent } = tappedPeers();
    b.handlers.handle('later', () => {
      throw new RetryLater(5000);
    });
    const ac = new AbortController();
    const p = a.request('later', null, { signal: ac.signal });
    await waitFor(() => framesOf(sent('b'), 'e').length === 1);
    ac.abort();
    expect((await errorOf(p)).code).toBe('ABORTED');
    expect(framesOf(sent('a'), 'r')).toHaveLength(1);
    a.destroy();
  });

  test('replies to the old id during the wait before a retry are ignored', async () => {
    const r = rawPeer();
    const p = r.peer.request('op');
    const first = await r.waitFrame('r');
    r.send({ type: 'e', id: first.id, wait: 30, payload: new Uint8Array(0) });
    await delay(5);
    // Stray replies for the first id while waiting must not settle the request.
    r.send({ type: 'R', id: first.id, payload: bytes('"stray"') }, { type: 'E', id: first.id, payload: bytes('stray error') });
    const second = await r.waitFrame('r', (f) => f.id !== first.id);
    r.send({ type: 'R', id: second.id, payload: bytes('"good"') });
    expect(await p).toBe('good');
    r.peer.destroy();
  });
});

describe('request limits', () => {
  test('past limits.maxRequests the responder answers a rate-limit retry result; the retry then succeeds', async () => {
    const { a, b, sent } = tappedPeers({}, { limits: { maxRequests: 1, retryWait: [20, 40] } });
    const events: ActivityEvent[] = [];
    const gate = deferred();
    let served = 0;
    b.handlers.handle('slow', async (v) => {
      served++;
      await gate.promise;
      return v;
    });
    b.onActivity((e) => {
      events.push(e);
      // Let the slow handler finish only once the second request was turned away.
      if (e.type === 'reply' && e.dir === 'out' && e.kind === 'retry') gate.resolve();
    });
    const [first, second] = await Promise.all([a.request('slow', 1), a.request('slow', 2)]);
    expect([first, second]).toEqual([1, 2]);
    expect(served).toBe(2);

    const retries = events.filter((e) => e.type === 'reply' && e.dir === 'out' && e.kind === 'retry');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]).toMatchObject({ size: ReplyText.rateLimit.length });
    const es = framesOf(sent('b'), 'e');
    expect(es.length).toBe(retries.length);
    for (const e of es) {
      expect(str(e.payload)).toBe('request rate limit');
      expect(e.wait).toBeGreaterThanOrEqual(20);
      expect(e.wait).toBeLessThanOrEqual(40);
    }
    // The turned-away request was sent again under a new id, and answered.
    const rs = framesOf(sent('a'), 'r');
    expect(rs.length).toBe(2 + es.length);
    expect(new Set(rs.map((r) => r.id)).size).toBe(rs.length);
    a.destroy();
  });
});
