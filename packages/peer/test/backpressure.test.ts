// Bounded memory: a peer stops reading when a stream's buffer is full, and stream producers
// wait for the transport instead of running ahead of their consumer.
import { afterEach, describe, expect, test } from 'vitest';
import { memoryPair, Peer, text, utf8, type PeerOptions, type Transport, type TransportEvents, type TransportInfo } from '@gotalk/peer';
import { deferred, delay, scriptedPeer, waitFor } from '@gotalk/test-kit';

const KiB = 1024;
const EMPTY = new Uint8Array(0);

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

/** A part of `size` bytes whose every byte is `i & 0xff`, so order can be checked. */
function part(i: number, size = 16 * KiB): Uint8Array {
  return new Uint8Array(size).fill(i & 0xff);
}

/** Wraps a transport to count the peer's pause and resume calls, and its writes. */
class Observed implements Transport {
  pauses = 0;
  resumes = 0;
  paused = false;
  /** Writes the inner transport answered with false (over its high-water mark). */
  refusedWrites = 0;
  writtenBytes = 0;
  constructor(private readonly inner: Transport) {}
  get info(): TransportInfo {
    return this.inner.info ?? { kind: 'observed' };
  }
  start(events: TransportEvents): void {
    this.inner.start(events);
  }
  write(bytes: Uint8Array): boolean {
    this.writtenBytes += bytes.length;
    const ok = this.inner.write(bytes);
    if (!ok) this.refusedWrites++;
    return ok;
  }
  pause(): void {
    this.pauses++;
    this.paused = true;
    this.inner.pause();
  }
  resume(): void {
    this.resumes++;
    this.paused = false;
    this.inner.resume();
  }
  close(): void {
    this.inner.close();
  }
  destroy(error?: Error): void {
    this.inner.destroy(error);
  }
}

/** Two peers over a memory pipe with a small high-water mark; `a`'s transport is observed. */
function observedPair(a: PeerOptions, b: PeerOptions, highWaterMark = 64 * KiB): { a: Peer; b: Peer; ta: Observed; tb: Observed } {
  const [x, y] = memoryPair({ highWaterMark });
  const ta = new Observed(x);
  const tb = new Observed(y);
  const pa = new Peer(ta, a);
  const pb = new Peer(tb, b);
  peers.push(pa, pb);
  return { a: pa, b: pb, ta, tb };
}

describe('reading stops when a stream buffer is full', () => {
  test('an unread stream request pauses the transport past streamBuffer and resumes as the handler drains it', async () => {
    const limit = 64 * KiB;
    const { peer, t } = scriptedPeer({ limits: { streamBuffer: limit } });
    peers.push(peer);
    const go = deferred();
    let consumed = 0;
    let maxHeld = 0;
    let fed = 0;
    const order: number[] = [];
    peer.handlers.handleStream('sink', async (parts) => {
      await go.promise;
      for await (const p of parts) {
        order.push(p[0]!);
        consumed += p.length;
        // bytes the peer took from the transport and the handler has not read yet
        maxHeld = Math.max(maxHeld, fed - t.pending - consumed);
      }
      return utf8(String(consumed));
    });
    t.handshake();
    const n = 40;
    const frameOverhead = 13 + 3; // a p header; the s header is a little longer
    t.feedFrames({ type: 's', id: 1, op: 'sink', payload: part(0) });
    fed += 16 * KiB + 16 + 4;
    for (let i = 1; i < n; i++) {
      t.feedFrames({ type: 'p', id: 1, payload: part(i) });
      fed += 16 * KiB + 13;
    }
    t.feedFrames({ type: 'p', id: 1, payload: EMPTY });
    fed += 13;

    expect(t.pauses).toBe(1);
    expect(t.paused).toBe(true);
    expect(t.resumes).toBe(0);
    const taken = fed - t.pending;
    expect(taken).toBeGreaterThan(limit);
    expect(taken).toBeLessThanOrEqual(limit + 2 * (16 * KiB + frameOverhead));

    await delay(20);
    expect(t.pending).toBe(fed - taken); // nothing more was read while the handler waits
    go.resolve();
    const r = await t.nextFrame('R');
    expect(text(r.payload)).toBe(String(n * 16 * KiB));
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i & 0xff));
    expect(t.resumes).toBeGreaterThanOrEqual(1);
    expect(t.paused).toBe(false);
    expect(maxHeld).toBeLessThanOrEqual(limit + 2 * (16 * KiB + frameOverhead));
  });

  test('an unread stream result pauses the transport; the consumer reading resumes it', async () => {
    const { a, b, ta } = observedPair({ limits: { streamBuffer: 64 * KiB } }, {});
    b.handlers.handleStream('produce', function* () {
      for (let i = 0; i < 64; i++) yield part(i);
    });
    const call = a.stream('produce', utf8('go'));
    await waitFor(() => ta.pauses > 0, 'the requestor to pause reading');
    await delay(20);
    expect(ta.paused).toBe(true);
    expect(ta.resumes).toBe(0);
    const order: number[] = [];
    for await (const p of call) order.push(p[0]!);
    expect(order).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(ta.resumes).toBeGreaterThanOrEqual(1);
    expect(ta.paused).toBe(false);
  });

  test('a consumer that breaks while the transport is paused releases it', async () => {
    const { peer, t } = scriptedPeer({ limits: { streamBuffer: 32 * KiB } });
    peers.push(peer);
    t.handshake();
    const call = peer.stream('many', utf8('go'));
    const r = await t.nextFrame('r');
    for (let i = 0; i < 4; i++) t.feedFrames({ type: 'S', id: r.id, payload: part(i) });
    expect(t.pauses).toBe(1);
    for await (const p of call) {
      expect(p[0]).toBe(0);
      break;
    }
    await t.until(() => t.resumes === 1 && !t.paused, 'resume after break');
    // the rest of the result is read and dropped; the connection still works
    t.feedFrames({ type: 'S', id: r.id, payload: part(9) }, { type: 'S', id: r.id, payload: EMPTY });
    const next = peer.requestBytes('x', utf8('y'));
    const r2 = await t.nextFrame('r');
    t.feedFrames({ type: 'R', id: r2.id, payload: utf8('ok') });
    expect(text(await next)).toBe('ok');
    expect(t.pauses).toBe(1);
    expect(peer.inFlight).toBe(0);
  });

  test('a congested stream that ends, or whose handler returns unread, releases the transport', async () => {
    const { peer, t } = scriptedPeer({ limits: { streamBuffer: 32 * KiB } });
    peers.push(peer);
    const go = deferred();
    peer.handlers.handleStream('ignore', async () => {
      await go.promise;
      return utf8('ignored');
    });
    t.handshake();
    const call = peer.stream('many', utf8('go'));
    const r = await t.nextFrame('r');
    t.feedFrames({ type: 'S', id: r.id, payload: part(0) }, { type: 'S', id: r.id, payload: part(1) }, { type: 'S', id: r.id, payload: part(2) });
    expect(t.pauses).toBe(1);
    t.feedFrames({ type: 'S', id: r.id, payload: EMPTY }); // held back by the pause
    t.feedFrames({ type: 's', id: 7, op: 'ignore', payload: part(3) }, { type: 'p', id: 7, payload: part(4) }, { type: 'p', id: 7, payload: part(5) });
    // draining below half the budget resumes; the end then arrives, then the stream request congests again
    const it = call[Symbol.asyncIterator]();
    expect((await it.next()).value?.[0]).toBe(0);
    expect((await it.next()).value?.[0]).toBe(1);
    await t.until(() => t.pauses === 2, 'the stream request to congest');
    expect((await it.next()).value?.[0]).toBe(2);
    expect((await it.next()).done).toBe(true);
    go.resolve(); // the handler returns without reading its input
    await t.nextFrame('R');
    await t.until(() => !t.paused, 'resume after the handler returned');
    expect(t.resumes).toBe(2);
  });
});

describe('producers wait for the transport', () => {
  test('a stream handler waits for drain when the transport is over its high-water mark', async () => {
    const { peer, t } = scriptedPeer({}, { highWaterMark: 128 * KiB });
    peers.push(peer);
    let produced = 0;
    const total = 32;
    peer.handlers.handleStream('produce', function* () {
      for (let i = 0; i < total; i++) {
        produced++;
        yield part(i, 64 * KiB);
      }
    });
    t.feed('01r0001007produce00000000');
    await t.until(() => produced > 0, 'the producer to start');
    await delay(30);
    const stalled = produced;
    expect(stalled).toBeLessThanOrEqual(4);
    await delay(30);
    expect(produced).toBe(stalled);
    let drains = 0;
    while (!t.frames.some((f) => f.type === 'S' && f.payload.length === 0)) {
      const before = produced;
      t.drain();
      drains++;
      await t.until(() => produced > before || produced === total, 'progress after drain');
      await delay(1);
      expect(produced - before).toBeLessThanOrEqual(4);
      if (drains > 200) throw new Error('no end');
    }
    const parts = t.frames.filter((f) => f.type === 'S' && f.payload.length > 0);
    expect(parts.map((f) => ('payload' in f ? f.payload[0] : -1))).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(drains).toBeGreaterThanOrEqual(8);
  });

  test('a fast stream handler does not run ahead of a slow consumer', async () => {
    const { a, b, ta } = observedPair({ limits: { streamBuffer: 64 * KiB } }, {}, 64 * KiB);
    const total = 200;
    let produced = 0;
    b.handlers.handleStream('produce', function* () {
      for (let i = 0; i < total; i++) {
        produced++;
        yield part(i, 64 * KiB);
      }
    });
    const call = a.stream('produce', utf8('go'));
    await waitFor(() => ta.pauses > 0, 'the consumer side to pause');
    await delay(30);
    const stalled = produced;
    expect(stalled).toBeLessThan(16);
    await delay(30);
    expect(produced).toBe(stalled);
    let consumed = 0;
    let maxLag = 0;
    for await (const p of call) {
      expect(p[0]).toBe(consumed & 0xff);
      consumed++;
      maxLag = Math.max(maxLag, produced - consumed);
      if (consumed % 8 === 0) await delay(1); // a slow consumer
    }
    expect(consumed).toBe(total);
    expect(maxLag).toBeLessThan(16);
  });

  test('a fast input source does not run ahead of a slow stream handler', async () => {
    const { a, b, tb } = observedPair({}, { limits: { streamBuffer: 64 * KiB } }, 64 * KiB);
    const total = 200;
    let pulled = 0;
    let consumed = 0;
    let maxLag = 0;
    const go = deferred();
    b.handlers.handleStream('sink', async (parts) => {
      await go.promise;
      for await (const p of parts) {
        expect(p[0]).toBe(consumed & 0xff);
        consumed++;
        maxLag = Math.max(maxLag, pulled - consumed);
        if (consumed % 8 === 0) await delay(1);
      }
      return utf8(String(consumed));
    });
    function* source() {
      for (let i = 0; i < total; i++) {
        pulled++;
        yield part(i, 64 * KiB);
      }
    }
    const call = a.stream('sink', source());
    await waitFor(() => tb.pauses > 0, 'the handler side to pause');
    await delay(30);
    const stalled = pulled;
    expect(stalled).toBeLessThan(16);
    await delay(30);
    expect(pulled).toBe(stalled);
    go.resolve();
    expect(text(await call.collect())).toBe(String(total));
    expect(maxLag).toBeLessThan(16);
  });

  test('64 MiB streamed through stays within a bounded window, with a consumer that stops now and then', async () => {
    const { a, b, ta } = observedPair({ limits: { streamBuffer: 256 * KiB } }, {}, 256 * KiB);
    const size = 64 * KiB;
    const total = 1024; // 64 MiB
    let produced = 0;
    b.handlers.handleStream('produce', function* () {
      const chunk = part(1, size);
      for (let i = 0; i < total; i++) {
        produced++;
        yield chunk;
      }
    });
    let consumed = 0;
    let bytes = 0;
    let maxLagBytes = 0;
    let stops = 0;
    const started = Date.now();
    for await (const p of a.stream('produce', utf8('go'))) {
      consumed++;
      bytes += p.length;
      maxLagBytes = Math.max(maxLagBytes, (produced - consumed) * size);
      // Every 4 MiB the consumer stops for a few ms (a timer, so the producer's side of the event
      // loop runs meanwhile): without backpressure the producer would run on, all 64 MiB ahead.
      if (consumed % 64 === 1) {
        stops++;
        await delay(5);
        maxLagBytes = Math.max(maxLagBytes, (produced - consumed) * size);
      }
    }
    expect(bytes).toBe(64 * 1024 * KiB);
    expect(stops).toBe(16);
    expect(maxLagBytes).toBeLessThanOrEqual(2 * 1024 * KiB);
    expect(ta.pauses).toBeGreaterThanOrEqual(stops); // the consumer side stopped reading at each stop
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('a peer that sends requests but never reads', () => {
  test('is disconnected once the replies it leaves unsent pass limits.maxBacklog', async () => {
    let events: TransportEvents | null = null;
    let queued = 0;
    let destroyed = false;
    const transport: Transport = {
      start: (e) => void (events = e),
      write: (bytes) => ((queued += bytes.length), false), // the other side never reads
      get bufferedAmount() {
        return queued;
      },
      pause: () => {},
      resume: () => {},
      close: () => {},
      destroy: () => void (destroyed = true),
    };
    const peer = new Peer(transport, { heartbeatInterval: 0, handshakeTimeout: 0, limits: { maxBacklog: 1024 * KiB } });
    peers.push(peer);
    peer.handlers.handleBytes('big', () => new Uint8Array(64 * KiB));
    events!.data(utf8('01'));
    for (let i = 0; i < 40 && peer.open; i++) {
      events!.data(utf8(`r${String(i).padStart(4, '0')}003big00000000`));
      await Promise.resolve();
      await Promise.resolve();
    }
    const info = await peer.closed;
    expect(info.reason).toBe('transport');
    expect(info.error?.message).toMatch(/not reading/);
    expect(destroyed).toBe(true);
    expect(queued).toBeLessThan(1024 * KiB + 2 * 64 * KiB); // stopped right past the limit
  });

  test('a transport without bufferedAmount is left alone, however far past the limit its writes are refused', async () => {
    const [x, y] = memoryPair();
    const tb = new Observed(y);
    expect('bufferedAmount' in tb).toBe(false);
    const a = new Peer(x, { heartbeatInterval: 0 });
    const b = new Peer(tb, { heartbeatInterval: 0, limits: { maxBacklog: 1024 * KiB } });
    peers.push(a, b);
    b.handlers.handleBytes('big', () => new Uint8Array(64 * KiB));
    // 64 replies of 64 KiB in one batch: 4 MiB, over the pipe's 1 MiB high-water mark and the 1 MiB limit.
    const replies = await Promise.all(Array.from({ length: 64 }, () => a.requestBytes('big', EMPTY)));
    expect(replies.every((r) => r.length === 64 * KiB)).toBe(true);
    expect(tb.refusedWrites).toBeGreaterThan(0); // the backlog check ran, and found nothing to read
    expect(tb.writtenBytes).toBeGreaterThan(4 * 1024 * KiB);
    expect(b.open).toBe(true);
  });

  test('a backlog under limits.maxBacklog is left alone, though every reply is written past the high-water mark', async () => {
    const limit = 1024 * KiB;
    let events: TransportEvents | null = null;
    let queued = 0;
    let replies = 0;
    let refused = 0;
    const backlogsSeen: number[] = [];
    let destroyed = false;
    const transport: Transport = {
      start: (e) => void (events = e),
      write: (bytes) => {
        queued += bytes.length;
        if (bytes.length > 64 * KiB) replies++;
        // The other side reads all of it a moment later.
        setTimeout(() => {
          queued = 0;
          events?.drain();
        }, 1);
        const ok = queued <= 64 * KiB;
        if (!ok) refused++;
        return ok;
      },
      get bufferedAmount() {
        backlogsSeen.push(queued);
        return queued;
      },
      pause: () => {},
      resume: () => {},
      close: () => {},
      destroy: () => void (destroyed = true),
    };
    const peer = new Peer(transport, { heartbeatInterval: 0, handshakeTimeout: 0, limits: { maxBacklog: limit } });
    peers.push(peer);
    peer.handlers.handleBytes('big', () => new Uint8Array(64 * KiB));
    events!.data(utf8('01'));
    for (let i = 0; i < 40; i++) {
      events!.data(utf8(`r${String(i).padStart(4, '0')}003big00000000`));
      await waitFor(() => (replies === i + 1 && queued === 0) || !peer.open, `reply ${i} written and read`);
      if (!peer.open) break;
    }
    expect(refused).toBe(40); // every reply went over the high-water mark...
    expect(backlogsSeen.length).toBeGreaterThanOrEqual(40); // ...so the backlog was looked at each time...
    expect(Math.max(...backlogsSeen)).toBeGreaterThan(64 * KiB);
    expect(Math.max(...backlogsSeen)).toBeLessThan(limit); // ...and it was always under the limit
    expect(peer.open).toBe(true);
    expect(destroyed).toBe(false);
  });
});
