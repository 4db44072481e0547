import { afterEach, describe, expect, test, vi } from 'vitest';
import { connectedPeers, RetryLater, type ActivityEvent } from '@gotalk/peer';
import { bytes, errorOf, str, waitFor } from '@gotalk/test-kit';

type Of<T extends ActivityEvent['type']> = Extract<ActivityEvent, { type: T }>;
const ofType = <T extends ActivityEvent['type']>(events: ActivityEvent[], type: T): Of<T>[] => events.filter((e): e is Of<T> => e.type === type);
const indexOf = (events: ActivityEvent[], pred: (e: ActivityEvent) => boolean): number => {
  const i = events.findIndex(pred);
  expect(i, 'event not found').toBeGreaterThanOrEqual(0);
  return i;
};

describe('activity events', () => {
  test('a whole conversation, in a sensible order on both sides', async () => {
    const ea: ActivityEvent[] = [];
    const eb: ActivityEvent[] = [];
    const [a, b] = connectedPeers({ onActivity: (e) => ea.push(e) }, { onActivity: (e) => eb.push(e) });
    let retried = false;
    b.handlers.handle('echo', (v) => v);
    b.handlers.handle('boom', () => {
      throw new Error('boom');
    });
    b.handlers.handle('flaky', () => {
      if (!retried) {
        retried = true;
        throw new RetryLater(1);
      }
      return 'ok';
    });
    b.handlers.handleStream('upper', async function* (parts) {
      for await (const p of parts) yield bytes(str(p).toUpperCase());
    });
    await a.ready;
    await waitFor(() => ofType(ea, 'heartbeat').some((e) => e.dir === 'in') && ofType(eb, 'heartbeat').some((e) => e.dir === 'in'));

    // Opening: `open` first, then the heartbeat sent on open.
    for (const events of [ea, eb]) {
      expect(events[0]).toEqual({ type: 'open' });
      expect(events[1]).toMatchObject({ type: 'heartbeat', dir: 'out' });
    }

    expect(await a.request('echo', 'hi')).toBe('hi'); // payload "hi" is 4 bytes
    await expect(a.request('boom')).rejects.toThrow('boom');
    expect(await a.request('flaky')).toBe('ok');
    const parts: string[] = [];
    for await (const p of a.stream('upper', [bytes('ab'), bytes('c')])) parts.push(str(p));
    expect(parts).toEqual(['AB', 'C']);
    a.notify('note', { x: 1 });
    await waitFor(() => ofType(eb, 'notification').length === 1);
    await a.close();
    await b.closed;

    // Requestor side.
    const outs = ofType(ea, 'request').filter((e) => e.dir === 'out');
    expect(outs.map((e) => [e.op, e.stream])).toEqual([
      ['echo', false],
      ['boom', false],
      ['flaky', false],
      ['flaky', false],
      ['upper', true],
    ]);
    expect(outs[0]!.size).toBe(4);
    const repliesIn = ofType(ea, 'reply').filter((e) => e.dir === 'in');
    expect(repliesIn.map((e) => e.kind)).toEqual(['result', 'error', 'retry', 'result', 'part', 'part', 'end']);
    expect(repliesIn[0]).toMatchObject({ id: outs[0]!.id, size: 4 });
    expect(repliesIn[1]).toMatchObject({ id: outs[1]!.id, size: 4 }); // "boom"
    expect(repliesIn[2]!.id).toBe(outs[2]!.id);
    expect(repliesIn[3]!.id).toBe(outs[3]!.id);
    expect(outs[3]!.id).not.toBe(outs[2]!.id); // the retry went out under a new id
    expect(repliesIn.slice(4).every((e) => e.id === outs[4]!.id)).toBe(true);
    expect(repliesIn.slice(4).map((e) => e.size)).toEqual([2, 1, 0]);
    // Each request went out before its reply came in.
    for (const out of outs) {
      const sentAt = ea.indexOf(out);
      const repliedAt = indexOf(ea, (e) => e.type === 'reply' && e.dir === 'in' && e.id === out.id);
      expect(sentAt).toBeLessThan(repliedAt);
    }
    expect(ofType(ea, 'notification')).toEqual([{ type: 'notification', dir: 'out', name: 'note', size: 7 }]);
    expect(ofType(ea, 'error')).toEqual([]);

    // Responder side.
    const ins = ofType(eb, 'request').filter((e) => e.dir === 'in');
    expect(ins.map((e) => [e.id, e.op, e.stream])).toEqual(outs.map((e) => [e.id, e.op, e.stream]));
    const repliesOut = ofType(eb, 'reply').filter((e) => e.dir === 'out');
    expect(repliesOut.map((e) => [e.id, e.kind, e.size])).toEqual(repliesIn.map((e) => [e.id, e.kind, e.size]));
    for (const r of repliesOut) {
      expect(indexOf(eb, (e) => e.type === 'request' && e.dir === 'in' && e.id === r.id)).toBeLessThan(eb.indexOf(r));
    }
    // The handler's failure is reported before its error result goes out.
    const [error] = ofType(eb, 'error');
    expect(error!.error.message).toBe('boom');
    expect(error!.id).toBe(outs[1]!.id);
    expect(eb.indexOf(error!)).toBeLessThan(eb.indexOf(repliesOut[1]!));
    expect(ofType(eb, 'notification')).toEqual([{ type: 'notification', dir: 'in', name: 'note', size: 7 }]);

    // Closing: `close` last, once, with the reason.
    expect(ea.at(-1)).toEqual({ type: 'close', info: { reason: 'closed', error: null } });
    expect(eb.at(-1)).toEqual({ type: 'close', info: { reason: 'remote', error: null } });
    expect(ofType(ea, 'close')).toHaveLength(1);
    expect(ofType(eb, 'close')).toHaveLength(1);
  });

  test('heartbeats carry the load and the clock; setLoad fixes the load sent', async () => {
    const [a, b] = connectedPeers({ heartbeatInterval: 20 }, { heartbeatInterval: 20 });
    const events: ActivityEvent[] = [];
    a.onActivity((e) => events.push(e));
    b.setLoad(1234);
    await waitFor(() => ofType(events, 'heartbeat').filter((e) => e.dir === 'in' && e.load === 1234).length >= 2);
    const beat = ofType(events, 'heartbeat').find((e) => e.dir === 'in' && e.load === 1234)!;
    expect(Math.abs(beat.time - Date.now() / 1000)).toBeLessThan(5);
    expect(a.remoteHeartbeat?.load).toBe(1234);
    const outs = ofType(events, 'heartbeat').filter((e) => e.dir === 'out');
    expect(outs.length).toBeGreaterThanOrEqual(1);
    expect(outs.every((e) => e.load >= 0 && e.load <= 0xffff)).toBe(true);
    expect(() => b.setLoad(0x10000)).toThrow(RangeError);
    a.destroy();
  });

  test('a throwing listener does not break the peer or keep events from other listeners', async () => {
    const seen: ActivityEvent[] = [];
    let thrown = 0;
    const thrower = () => {
      thrown++;
      throw new Error('listener bug');
    };
    const [a, b] = connectedPeers({ onActivity: thrower }, { onActivity: thrower });
    a.onActivity(thrower);
    a.onActivity((e) => seen.push(e));
    b.handlers.handle('echo', (v) => v);
    b.handlers.onNotification('n', () => {});
    expect(await a.request('echo', 1)).toBe(1);
    a.notify('n', 1);
    b.handlers.handle('boom', () => {
      throw new Error('x');
    });
    await expect(a.request('boom')).rejects.toThrow('x');
    await a.close();
    expect((await b.closed).reason).toBe('remote');
    expect(thrown).toBeGreaterThan(8);
    expect(seen.map((e) => e.type).filter((t) => t !== 'open' && t !== 'heartbeat')).toEqual(['request', 'reply', 'notification', 'request', 'reply', 'close']);
    expect(seen.filter((e) => e.type === 'open')).toHaveLength(1);
  });

  test('a listener that throws on open does not stop the handshake or heartbeats', async () => {
    const [a, b] = connectedPeers({
      heartbeatInterval: 10,
      onActivity: (e) => {
        if (e.type === 'open') throw new Error('nope');
      },
    });
    await a.ready;
    await waitFor(() => b.remoteHeartbeat !== undefined);
    a.destroy();
  });

  test('unsubscribe stops the events; unsubscribing twice is harmless', async () => {
    const [a, b] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
    await a.ready;
    b.handlers.handle('echo', (v) => v);
    const events: ActivityEvent[] = [];
    const off = a.onActivity((e) => events.push(e));
    await a.request('echo', 1);
    const count = events.length;
    expect(count).toBe(2);
    off();
    off();
    await a.request('echo', 2);
    a.notify('n');
    expect(events.length).toBe(count);
    a.destroy();
    expect(events.length).toBe(count);
  });

  test('a listener unsubscribing itself during an event does not make others miss it', async () => {
    const [a, b] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
    await a.ready;
    b.handlers.handle('echo', (v) => v);
    const first: ActivityEvent[] = [];
    const second: ActivityEvent[] = [];
    const off = a.onActivity((e) => {
      first.push(e);
      off();
    });
    a.onActivity((e) => second.push(e));
    await a.request('echo', 1);
    expect(first.map((e) => e.type)).toEqual(['request']);
    expect(second.map((e) => e.type)).toEqual(['request', 'reply']);
    a.destroy();
  });

  test('no events after the close event; destroy reports "destroyed"', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('forever', () => new Promise(() => {}));
    const events: ActivityEvent[] = [];
    a.onActivity((e) => events.push(e));
    const p = a.request('forever');
    await waitFor(() => b.inFlight === 1);
    a.destroy();
    expect((await errorOf(p)).code).toBe('CLOSED');
    expect(events.at(-1)).toEqual({ type: 'close', info: { reason: 'destroyed', error: null } });
    const n = events.length;
    await a.request('x').catch(() => {});
    expect(() => a.notify('x')).toThrow();
    expect(events.length).toBe(n);
  });

  describe('listeners that end the connection', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    test.each(['open', 'heartbeat'] as const)('destroy() from the %s event leaves no timers behind', async (type) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
      const [a, b] = connectedPeers(
        {
          heartbeatInterval: 1000,
          onActivity: (e) => {
            if (e.type === type) a.destroy();
          },
        },
        { heartbeatInterval: 1000 },
      );
      expect((await a.closed).reason).toBe('destroyed');
      await b.closed;
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
