import { afterEach, describe, expect, test, vi } from 'vitest';
import { ClosedError, connectedPeers, RetryExhaustedError, RetryLater, type CloseInfo, type Peer } from '@gotalk/peer';
import { bytes, deferred, delay, errorOf, str, waitFor } from '@gotalk/test-kit';
import { framesOf, rawPeer, tappedPeers } from './helpers.ts';

/** True once `p` settled (checked after letting pending microtasks and I/O run). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await delay(5);
  return done;
}

describe('close()', () => {
  test('with nothing in flight it closes at once: "closed" here, "remote" there', async () => {
    const [a, b] = connectedPeers();
    await a.ready;
    const info = await a.close();
    expect(info).toEqual<CloseInfo>({ reason: 'closed', error: null });
    expect(await a.closed).toBe(info);
    expect(a.open).toBe(false);
    expect(await b.closed).toEqual<CloseInfo>({ reason: 'remote', error: null });
    expect(b.open).toBe(false);
  });

  test('lets in-flight requests in both directions finish, then closes', async () => {
    const [a, b] = connectedPeers();
    const gateAtB = deferred();
    const gateAtA = deferred();
    b.handlers.handle('slow', async (v) => (await gateAtB.promise, `b:${v as string}`));
    a.handlers.handle('slow', async (v) => (await gateAtA.promise, `a:${v as string}`));
    const out = a.request('slow', 'out');
    const inc = b.request('slow', 'in');
    await waitFor(() => a.inFlight === 2 && b.inFlight === 2);
    const closing = a.close();
    expect(a.open).toBe(false);
    expect(await settled(closing)).toBe(false);
    gateAtB.resolve();
    expect(await out).toBe('b:out');
    expect(await settled(closing)).toBe(false); // the incoming one still runs
    gateAtA.resolve();
    expect(await inc).toBe('a:in');
    expect((await closing).reason).toBe('closed');
    expect((await b.closed).reason).toBe('remote');
  });

  test('new requests while closing reject with ClosedError CLOSED, and after closing too', async () => {
    const { a, b, sent } = tappedPeers();
    const gate = deferred();
    b.handlers.handle('slow', () => gate.promise.then(() => 'done'));
    b.handlers.handle('echo', (v) => v);
    const held = a.request('slow');
    await waitFor(() => b.inFlight === 1);
    const closing = a.close();
    const err = await errorOf(a.request('echo', 1));
    expect(err).toBeInstanceOf(ClosedError);
    expect(err.code).toBe('CLOSED');
    expect((await errorOf(a.requestBytes('echo', bytes('x')))).code).toBe('CLOSED');
    gate.resolve();
    expect(await held).toBe('done');
    await closing;
    expect((await errorOf(a.request('echo', 2))).code).toBe('CLOSED');
    expect(framesOf(sent('a'), 'r').map((r) => r.op)).toEqual(['slow']);
  });

  test('incoming requests while closing get retry results', async () => {
    const { a, b, sent } = tappedPeers({ limits: { retryWait: [10, 20] } });
    const gate = deferred();
    a.handlers.handle('slow', () => gate.promise.then(() => 'slow done'));
    a.handlers.handle('echo', (v) => v);
    const held = b.request('slow');
    await waitFor(() => a.inFlight === 1);
    void a.close();
    // With no retries allowed, the retry result surfaces at once.
    const err = await errorOf(b.request('echo', 1, { retries: 0 }));
    expect(err).toBeInstanceOf(RetryExhaustedError);
    expect(err.message).toContain('connection closing');
    const [e] = framesOf(sent('a'), 'e');
    expect(str(e!.payload)).toBe('connection closing');
    expect(e!.wait).toBeGreaterThanOrEqual(10);
    expect(e!.wait).toBeLessThanOrEqual(20);
    // A retrying request keeps being turned away and fails with CLOSED once the close completes.
    const retrying = b.request('echo', 2, { retries: 1000 });
    await waitFor(() => framesOf(sent('a'), 'e').length >= 3);
    gate.resolve();
    expect(await held).toBe('slow done');
    expect((await errorOf(retrying)).code).toBe('CLOSED');
    expect((await a.closed).reason).toBe('closed');
  });

  test('closeTimeout bounds the wait for in-flight requests', async () => {
    const [a, b] = connectedPeers({ closeTimeout: 50 });
    const aborted = deferred<unknown>();
    b.handlers.handle('forever', () => new Promise(() => {}));
    a.handlers.handle('forever', (_v, ctx) => {
      ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
      return new Promise(() => {});
    });
    const out = a.request('forever', null, { timeout: 0 });
    const inc = b.request('forever', null, { timeout: 0 });
    await waitFor(() => a.inFlight === 2);
    const start = Date.now();
    const info = await a.close();
    const took = Date.now() - start;
    expect(info.reason).toBe('closed');
    expect(took).toBeGreaterThanOrEqual(40);
    expect(took).toBeLessThan(2000);
    expect((await errorOf(out)).code).toBe('CLOSED');
    expect((await errorOf(inc)).code).toBe('CLOSED');
    expect(await aborted.promise).toBeInstanceOf(ClosedError);
  });

  test('close() is idempotent and returns the same outcome', async () => {
    const [a] = connectedPeers();
    const first = a.close();
    const second = a.close();
    expect(await first).toBe(await second);
    a.destroy(); // no effect once closed
    expect((await a.closed).reason).toBe('closed');
  });
});

describe('destroy()', () => {
  test('rejects everything pending at once with CLOSED, on both sides', async () => {
    const { a, b, sent } = tappedPeers();
    b.handlers.handle('forever', () => new Promise(() => {}));
    b.handlers.handle('later', () => {
      throw new RetryLater(60_000);
    });
    b.handlers.handleStream('hangs', () => new Promise(() => {}));
    a.handlers.handle('forever', () => new Promise(() => {}));
    const fromA = [a.request('forever'), a.request('forever', null, { timeout: 0 }), a.request('later')];
    const streamed = a.stream('hangs', [bytes('x')]).collect();
    const fromB = [b.request('forever'), b.request('forever', null, { timeout: 0 })];
    await waitFor(() => framesOf(sent('b'), 'e').length === 1 && a.inFlight >= 5 && b.inFlight >= 5);
    const start = Date.now();
    a.destroy();
    const errors = await Promise.all([...fromA, streamed, ...fromB].map(errorOf));
    expect(Date.now() - start).toBeLessThan(1000);
    for (const err of errors) {
      expect(err).toBeInstanceOf(ClosedError);
      expect(err.code).toBe('CLOSED');
    }
    expect(await a.closed).toEqual<CloseInfo>({ reason: 'destroyed', error: null });
    expect((await b.closed).reason).toBe('remote');
  });

  test('an error given to destroy() is the close error and the cause of the rejections', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('forever', () => new Promise(() => {}));
    const p = a.request('forever');
    await waitFor(() => b.inFlight === 1);
    const why = new ClosedError('shutting down');
    a.destroy(why);
    const err = await errorOf(p);
    expect(err.code).toBe('CLOSED');
    expect(err.cause).toBe(why);
    const info = await a.closed;
    expect(info.reason).toBe('destroyed');
    expect(info.error).toBe(why);
  });

  test('destroy() during close() ends it at once', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('forever', () => new Promise(() => {}));
    const p = a.request('forever');
    await waitFor(() => b.inFlight === 1);
    const closing = a.close();
    a.destroy();
    expect((await closing).reason).toBe('destroyed');
    expect((await errorOf(p)).code).toBe('CLOSED');
  });

  test('before the handshake completes, destroy() rejects `ready`', async () => {
    const r = rawPeer({}, { version: false });
    const p = r.peer.request('x');
    r.peer.destroy();
    expect((await errorOf(r.peer.ready)).code).toBe('CLOSED');
    expect((await errorOf(p)).code).toBe('CLOSED');
    expect((await r.peer.closed).reason).toBe('destroyed');
    await waitFor(() => r.closed());
  });
});

describe('timers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // Date too: request deadlines are read from the clock.
  const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });

  /** Runs requests of every kind on a fresh pair under fake timers: heartbeats, timeouts, retries, a slow handler. */
  async function busyPair(): Promise<{ a: Peer; b: Peer; pending: Promise<unknown>[] }> {
    const [a, b] = connectedPeers({ heartbeatInterval: 1000, idleTimeout: 5000, closeTimeout: 3000 }, { heartbeatInterval: 1000, idleTimeout: 5000 });
    expect(vi.getTimerCount()).toBeGreaterThan(0); // at least the handshake timers
    let calls = 0;
    b.handlers.handle('echo', (v) => v);
    b.handlers.handle('retry-once', () => {
      if (++calls === 1) throw new RetryLater(100);
      return 'ok';
    });
    b.handlers.handle('slow', () => new Promise((resolve) => setTimeout(() => resolve('slow'), 500)));
    b.handlers.handle('never', () => new Promise(() => {}));
    await a.ready;
    await b.ready;
    expect(await a.request('echo', 1)).toBe(1);
    await vi.advanceTimersByTimeAsync(2500); // heartbeats both ways, dead-peer watch armed
    expect(a.remoteHeartbeat).toBeDefined();
    const retried = a.request('retry-once');
    await vi.advanceTimersByTimeAsync(150);
    expect(await retried).toBe('ok');
    const timedOut = errorOf(a.request('never', null, { timeout: 200 }));
    await vi.advanceTimersByTimeAsync(250);
    expect((await timedOut).code).toBe('TIMEOUT');
    // Still pending when the test ends the connection: a slow one, one with a timeout, one waiting to retry.
    calls = 0;
    const pending = [a.request('slow'), a.request('never', null, { timeout: 60_000 }), a.request('retry-once')];
    for (const p of pending) p.catch(() => {});
    await vi.advanceTimersByTimeAsync(10);
    // Heartbeat senders and watchers (2 each), 3 request timeouts, a retry wait, the handler's timer.
    expect(vi.getTimerCount()).toBeGreaterThanOrEqual(8);
    return { a, b, pending };
  }

  test('no timers are left behind after close()', async () => {
    fakeTimers();
    const { a, b, pending } = await busyPair();
    const closing = a.close();
    await vi.advanceTimersByTimeAsync(4000); // past the close timeout
    expect((await closing).reason).toBe('closed');
    await b.closed;
    await Promise.allSettled(pending);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('no timers are left behind after destroy()', async () => {
    fakeTimers();
    const { a, b, pending } = await busyPair();
    a.destroy();
    await b.closed;
    await Promise.allSettled(pending);
    // The handler's own 500 ms timer at b is the application's; let it run out.
    await vi.advanceTimersByTimeAsync(600);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('no timers are left behind when the other side ends the connection', async () => {
    fakeTimers();
    const { a, b, pending } = await busyPair();
    b.destroy();
    expect((await a.closed).reason).toBe('remote');
    await Promise.allSettled(pending);
    await vi.advanceTimersByTimeAsync(600);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('no timers are left behind by requests made after the close', async () => {
    fakeTimers();
    const [a] = connectedPeers();
    await a.close();
    const errs = await Promise.all([a.request('x', null, { timeout: 10_000 }), a.request('y', null, { signal: new AbortController().signal })].map(errorOf));
    expect(errs.map((e) => e.code)).toEqual(['CLOSED', 'CLOSED']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
