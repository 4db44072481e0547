// Edge cases found in review: a stream call ended before its input began, a handler's signal
// read after the connection went, timer delays past what timers can hold.
import { describe, expect, test } from 'vitest';
import { connectedPeers, Peer, memoryPair, type ActivityEvent } from '@gotalk/peer';
import { delay } from '@gotalk/test-kit';

describe('edge cases', () => {
  test('a stream call aborted before its source yields never sends the request', async () => {
    const seen: ActivityEvent[] = [];
    const [a, b] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0, onActivity: (e) => seen.push(e) });
    let ran = false;
    b.handlers.handleStream('up', async function* (parts) {
      ran = true;
      for await (const p of parts) yield p;
    });
    async function* slow() {
      await delay(50);
      yield new Uint8Array([1]);
    }
    const controller = new AbortController();
    const call = a.stream('up', slow(), { signal: controller.signal });
    controller.abort();
    await expect(call.collect()).rejects.toMatchObject({ code: 'ABORTED' });
    await delay(100);
    expect(ran).toBe(false);
    expect(seen.filter((e) => e.type === 'request')).toEqual([]);
    await a.close();
  });

  test("a handler's signal read only after the connection went has already fired", async () => {
    const [a, b] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
    const aborted = new Promise<boolean>((resolve) => {
      b.handlers.handle('late', async (_v, ctx) => {
        await delay(50);
        resolve(ctx.signal.aborted);
        return null;
      });
    });
    void a.request('late').catch(() => {});
    await delay(10);
    a.destroy();
    expect(await aborted).toBe(true);
  });

  test('timeouts longer than timers can hold are refused, not turned into 1 ms', () => {
    const [t] = memoryPair();
    expect(() => new Peer(t, { handshakeTimeout: 2 ** 31 })).toThrow(RangeError);
    expect(() => new Peer(t, { requestTimeout: 2 ** 31 })).toThrow(RangeError);
  });

  test('a per-request timeout past the timer limit waits (clamped), it does not fire at once', async () => {
    const [a, b] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
    b.handlers.handle('slowish', async () => {
      await delay(30);
      return 'ok';
    });
    expect(await a.request('slowish', null, { timeout: 2 ** 32 })).toBe('ok');
    await a.close();
  });
});
