// Heartbeats: sent on the handshake and on a timer with a load, received and exposed, and the
// idle timeout that is armed only by the other side's heartbeats.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { connectedPeers, TimeoutError, utf8, type ActivityEvent, type Peer, type PeerOptions } from '@gotalk/peer';
import { deferred, delay, scriptedPeer, type ScriptedTransport } from '@gotalk/test-kit';

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

function setup(options: PeerOptions = {}): { peer: Peer; t: ScriptedTransport } {
  const s = scriptedPeer(options);
  peers.push(s.peer);
  return s;
}

const heartbeats = (t: ScriptedTransport) => t.frames.filter((f) => f.type === 'h');

/** How the peer closed within `ms`, or 'open' if it did not. */
const closedWithin = (peer: Peer, ms: number) => Promise.race([peer.closed.then((info) => info.reason), delay(ms).then(() => 'open' as const)]);

describe('sending', () => {
  test('one heartbeat when the handshake completes, none before', async () => {
    const { t } = setup({ heartbeatInterval: 60_000 });
    await delay(30);
    expect(heartbeats(t)).toHaveLength(0);
    expect(t.outputText).toBe('01');
    const before = Math.floor(Date.now() / 1000);
    t.handshake();
    const h = await t.nextFrame('h', undefined, 500);
    expect(h.load).toBe(0);
    expect(h.time).toBeGreaterThanOrEqual(before);
    expect(h.time).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(t.outputText).toMatch(/^01h0000[0-9a-f]{8}$/);
    await delay(50);
    expect(heartbeats(t)).toHaveLength(1);
  });

  test('then one every heartbeatInterval', async () => {
    const { t } = setup({ heartbeatInterval: 25 });
    const start = Date.now();
    t.handshake();
    await t.until(() => heartbeats(t).length >= 5, '5 heartbeats');
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(4 * 25 - 5); // never faster than the interval
    await delay(100);
    const n = heartbeats(t).length;
    expect(n).toBeGreaterThan(5); // and they keep coming
    expect(n).toBeLessThanOrEqual(Math.floor((Date.now() - start) / 25) + 2);
  });

  test('heartbeatInterval 0 sends none', async () => {
    const { t } = setup({ heartbeatInterval: 0 });
    t.handshake();
    await delay(40);
    expect(heartbeats(t)).toHaveLength(0);
  });

  test('the load comes from setLoad(), or options.load', async () => {
    const { peer, t } = setup({ heartbeatInterval: 15 });
    peer.setLoad(1234);
    t.handshake();
    expect((await t.nextFrame('h')).load).toBe(1234);
    peer.setLoad(0xffff);
    await t.nextFrame('h', (h) => h.load === 0xffff);
    peer.setLoad(undefined); // derived again: nothing served
    await t.nextFrame('h', (h) => h.load === 0);
    expect(() => peer.setLoad(0x10000)).toThrow(RangeError);
    expect(() => peer.setLoad(-1)).toThrow(RangeError);
    expect(() => peer.setLoad(1.5)).toThrow(RangeError);

    const other = setup({ heartbeatInterval: 15, load: () => 77 });
    other.t.handshake();
    expect((await other.t.nextFrame('h')).load).toBe(77);
    other.peer.setLoad(5); // setLoad wins over options.load
    await other.t.nextFrame('h', (h) => h.load === 5);
  });

  test('by default the load is derived from the requests being served', async () => {
    const { peer, t } = setup({ heartbeatInterval: 15, limits: { maxRequests: 3, maxStreams: 1 } });
    const release = deferred();
    peer.handlers.handleBytes('wait', async () => {
      await release.promise;
      return utf8('done');
    });
    t.handshake();
    expect((await t.nextFrame('h')).load).toBe(0);
    t.feed('r0001004wait00000000r0002004wait00000000');
    // 2 of a capacity of 4 (3 requests + 1 stream)
    await t.nextFrame('h', (h) => h.load === Math.round(0xffff / 2));
    release.resolve();
    await t.nextFrame('R');
    await t.nextFrame('R');
    await t.nextFrame('h', (h) => h.load === 0);
  });

  test('sent heartbeats are reported as activity', async () => {
    const events: ActivityEvent[] = [];
    const { peer, t } = setup({ heartbeatInterval: 60_000, onActivity: (e) => events.push(e) });
    peer.setLoad(9);
    t.handshake();
    const h = await t.nextFrame('h');
    expect(events).toContainEqual({ type: 'heartbeat', dir: 'out', load: 9, time: h.time });
  });
});

describe('receiving', () => {
  test('the last heartbeat received is peer.remoteHeartbeat, and an activity event', async () => {
    const events: ActivityEvent[] = [];
    const { peer, t } = setup({ onActivity: (e) => events.push(e) });
    expect(peer.remoteHeartbeat).toBeUndefined();
    t.handshake();
    const before = Date.now();
    t.feed('h00025f63ee48');
    expect(peer.remoteHeartbeat).toEqual({ load: 2, time: 0x5f63ee48, receivedAt: expect.any(Number) });
    expect(peer.remoteHeartbeat!.receivedAt).toBeGreaterThanOrEqual(before);
    expect(peer.remoteHeartbeat!.receivedAt).toBeLessThanOrEqual(Date.now());
    t.feed('hffff00000001');
    expect(peer.remoteHeartbeat).toMatchObject({ load: 0xffff, time: 1 });
    expect(events.filter((e) => e.type === 'heartbeat')).toEqual([
      { type: 'heartbeat', dir: 'in', load: 2, time: 0x5f63ee48 },
      { type: 'heartbeat', dir: 'in', load: 0xffff, time: 1 },
    ]);
  });

  test('between two peers, each sees the load the other sets', async () => {
    const [a, b] = connectedPeers({ heartbeatInterval: 15 }, { heartbeatInterval: 15 });
    peers.push(a, b);
    a.setLoad(700);
    b.setLoad(3);
    const start = Date.now();
    while (b.remoteHeartbeat?.load !== 700 || a.remoteHeartbeat?.load !== 3) {
      if (Date.now() - start > 2000) throw new Error('no heartbeats');
      await delay(5);
    }
    expect(Math.abs(b.remoteHeartbeat.time - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe('idle timeout', () => {
  test('silence after a heartbeat: f00000003 and close, reason idle', async () => {
    const { peer, t } = setup({ idleTimeout: 80 });
    t.feed('01h00005f63ee48');
    const since = Date.now();
    const info = await peer.closed;
    expect(Date.now() - since).toBeGreaterThanOrEqual(70);
    expect(info.reason).toBe('idle');
    expect(info.error).toBeInstanceOf(TimeoutError);
    expect(info.error?.code).toBe('TIMEOUT');
    await t.ends();
    expect(t.outputText).toBe('01f00000003');
    expect(t.calls).toContain('close');
  });

  test('any data keeps the connection alive; silence then ends it', async () => {
    const { peer, t } = setup({ idleTimeout: 150 });
    peer.handlers.handleBytes('echo', (p) => p);
    t.feed('01h00005f63ee48');
    for (let i = 0; i < 12; i++) {
      await delay(25);
      t.feed(i % 2 ? 'h00005f63ee48' : 'r0001004echo00000000');
    }
    expect(peer.open).toBe(true);
    expect((await peer.closed).reason).toBe('idle');
  });

  test('pending requests fail when the connection idles out', async () => {
    const { peer, t } = setup({ idleTimeout: 50 });
    const pending = peer.request('slow');
    t.feed('01h00005f63ee48');
    await t.nextFrame('r');
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    expect((await peer.closed).reason).toBe('idle');
  });

  test('a peer that never sends heartbeats is never idled out', async () => {
    const { peer, t } = setup({ idleTimeout: 15 });
    peer.handlers.handleBytes('echo', (p) => p);
    t.handshake();
    await delay(250); // many multiples of the idle timeout
    expect(peer.open).toBe(true);
    t.feed('r0001004echo00000002hi');
    await t.nextFrame('R');
    await delay(100);
    expect(peer.open).toBe(true);
    expect(t.frames.some((f) => f.type === 'f')).toBe(false);
  });

  test('until a second heartbeat shows its interval, the limit is idleTimeout; then 3 of its gaps', async () => {
    const { peer, t } = setup({ idleTimeout: 400 });
    t.feed('01h00005f63ee48');
    await delay(300);
    t.feed('h00005f63ee48'); // a gap of ~300 ms: the limit becomes ~900 ms
    const last = performance.now();
    expect(await closedWithin(peer, 600)).toBe('open');
    expect(await peer.closed).toMatchObject({ reason: 'idle' });
    expect(performance.now() - last).toBeGreaterThanOrEqual(800);
  });

  test('the timeout stretches to 3 of the longest gaps seen between heartbeats', async () => {
    const { peer, t } = setup({ idleTimeout: 100 });
    t.feed('01h00005f63ee48');
    await delay(50);
    t.feed('h00005f63ee48'); // a gap of ~50 ms: the limit becomes ~150 ms
    await delay(100);
    t.feed('h00005f63ee48'); // a gap of ~100 ms: the limit becomes ~300 ms
    const last = Date.now();
    await delay(180); // well past the idle timeout, well within the stretched limit
    expect(peer.open).toBe(true);
    const info = await peer.closed;
    expect(info.reason).toBe('idle');
    expect(Date.now() - last).toBeGreaterThanOrEqual(250);
  });

  test('a peer not reading because its consumer is slow is not idled out', async () => {
    const { peer, t } = setup({ idleTimeout: 100, limits: { streamBuffer: 1024 } });
    t.feed('01h00005f63ee48');
    const call = peer.stream('big', utf8('go'));
    const r = await t.nextFrame('r');
    t.feedFrames({ type: 'S', id: r.id, payload: new Uint8Array(2048) });
    expect(t.paused).toBe(true);
    // the other side keeps sending heartbeats, held back by the pause
    for (let i = 0; i < 8; i++) {
      await delay(25);
      t.feed('h00005f63ee48');
    }
    expect(peer.open).toBe(true);
    const it = call[Symbol.asyncIterator]();
    expect((await it.next()).value?.length).toBe(2048);
    await t.until(() => !t.paused, 'resume');
    t.feedFrames({ type: 'S', id: r.id, payload: new Uint8Array(0) });
    expect((await it.next()).done).toBe(true);
    expect(peer.open).toBe(true);
    expect((await peer.closed).reason).toBe('idle'); // and silence still ends it
  });

  test('time spent not reading neither counts as silence nor stretches the limit', async () => {
    const { peer, t } = setup({ idleTimeout: 100, limits: { streamBuffer: 1024 } });
    t.feed('01h00005f63ee48');
    await delay(25);
    t.feed('h00005f63ee48'); // armed: a gap of ~25 ms, a limit of 100 ms
    const call = peer.stream('big', utf8('go'));
    const r = await t.nextFrame('r');
    t.feedFrames({ type: 'S', id: r.id, payload: new Uint8Array(2048) });
    expect(t.paused).toBe(true);
    await delay(25);
    t.feed('h00005f63ee48'); // held back by the pause, delivered on resume
    await delay(1000); // 10 idle timeouts, not reading
    expect(peer.open).toBe(true);
    const it = call[Symbol.asyncIterator]();
    expect((await it.next()).value?.length).toBe(2048);
    await t.until(() => !t.paused, 'resume');
    const resumed = performance.now();
    // The gap across the pause is not the other side's interval: silence ends it within
    // ~100 ms, not 3 s.
    expect(await closedWithin(peer, 1500)).toBe('idle');
    expect(performance.now() - resumed).toBeGreaterThanOrEqual(90);
  });

  test('a step of the wall clock neither closes a live connection nor stretches the limit', async () => {
    const realNow = Date.now;
    let step = 0;
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + step);
    try {
      const { peer, t } = setup({ idleTimeout: 100 });
      t.feed('01h00005f63ee48');
      const beats = async () => {
        for (let i = 0; i < 4; i++) {
          await delay(25);
          t.feed('h00005f63ee48');
        }
      };
      await beats();
      step = 3_600_000; // an hour forward
      await beats();
      expect(peer.open).toBe(true);
      expect(peer.remoteHeartbeat!.receivedAt).toBeGreaterThan(realNow() + 3_500_000); // still the wall clock
      step = -3_600_000; // two hours back
      await beats();
      expect(peer.open).toBe(true);
      const last = performance.now();
      expect(await closedWithin(peer, 2000)).toBe('idle'); // ~100 ms, not 3 h
      expect(performance.now() - last).toBeGreaterThanOrEqual(90);
    } finally {
      spy.mockRestore();
    }
  });

  test('two default-configured peers with small intervals stay up across several idle periods', async () => {
    const opts = { heartbeatInterval: 20, idleTimeout: 80 };
    const [a, b] = connectedPeers(opts, opts);
    peers.push(a, b);
    b.handlers.handle('echo', (v) => v);
    await delay(400);
    expect(a.open && b.open).toBe(true);
    expect(a.remoteHeartbeat).toBeDefined();
    expect(b.remoteHeartbeat).toBeDefined();
    expect(await a.request('echo', 1)).toBe(1);
  });

  test('two peers with the default options keep a link with no traffic', async () => {
    const [a, b] = connectedPeers();
    peers.push(a, b);
    await a.ready;
    await delay(50);
    expect(a.remoteHeartbeat).toBeDefined(); // the handshake heartbeat
    expect(a.open && b.open).toBe(true);
  });
});
