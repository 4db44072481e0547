// Structured errors: a handler throws a RemoteError with a code and data; the caller gets them
// back. On the wire it is readable JSON; a text error (the Go reference's) is still a RemoteError.
import { afterEach, describe, expect, test } from 'vitest';
import { connectedPeers, RemoteError, type Peer } from '@gotalk/peer';
import { errorOf, scriptedPeer } from '@gotalk/test-kit';

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

function pair(): [Peer, Peer] {
  const [a, b] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
  peers.push(a, b);
  return [a, b];
}

describe('structured errors', () => {
  test('a handler throws a code and data; the caller branches on them', async () => {
    const [a, b] = pair();
    b.handlers.handle('user', (v) => {
      throw new RemoteError(`no user ${String(v)}`, { code: 'NOT_FOUND', data: { id: v } });
    });
    const err = await errorOf(a.request('user', 42));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'no user 42', data: { id: 42 } });
  });

  test('on the wire: readable JSON, {"error":{"code","message","data"}}', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    peer.handlers.handle('deny', () => {
      throw new RemoteError('not allowed here', { code: 'NOT_ALLOWED' });
    });
    t.feed('01r0001004deny00000004null');
    const e = await t.nextFrame('E');
    expect(new TextDecoder().decode(e.payload)).toBe('{"error":{"code":"NOT_ALLOWED","message":"not allowed here"}}');
  });

  test('a plain error, a RemoteError without code or data, and a text error from a text-only peer stay text', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    peer.handlers.handle('plain', () => {
      throw new Error('it broke');
    });
    peer.handlers.handle('bare', () => {
      throw new RemoteError('bare');
    });
    t.feed('01r0001005plain00000000r0002004bare00000000');
    expect(new TextDecoder().decode((await t.nextFrame('E')).payload)).toBe('it broke');
    expect(new TextDecoder().decode((await t.nextFrame('E')).payload)).toBe('bare');
    // The other way: what the Go reference sends.
    const asked = peer.request('nope');
    const r = await t.nextFrame('r');
    const id = String.fromCharCode(r.id >>> 24, (r.id >>> 16) & 0xff, (r.id >>> 8) & 0xff, r.id & 0xff);
    t.feed(`E${id}00000018unknown operation "nope"`);
    expect(await errorOf(asked)).toMatchObject({ code: 'REMOTE_ERROR', message: 'unknown operation "nope"', data: undefined });
  });

  test('text that only looks structured, or a bad code, is kept whole as the message', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    t.feed('01');
    for (const body of [
      '{"error":{"code":"X"}}',
      '{"error":{"code":"has space","message":"m"}}',
      '{"error":{"code":"X","message":"m"},"more":1}',
      '{"error":{not json',
    ]) {
      const asked = peer.request('x');
      const r = await t.nextFrame('r');
      const id = String.fromCharCode(r.id >>> 24, (r.id >>> 16) & 0xff, (r.id >>> 8) & 0xff, r.id & 0xff);
      t.feed(`E${id}${body.length.toString(16).padStart(8, '0')}${body}`);
      expect(await errorOf(asked)).toMatchObject({ code: 'REMOTE_ERROR', message: body });
    }
  });

  test('data that is not JSON is left out, the code and message still go', async () => {
    const [a, b] = pair();
    b.handlers.handle('cyclic', () => {
      const data: Record<string, unknown> = {};
      data['self'] = data;
      throw new RemoteError('cyclic data', { code: 'BAD', data });
    });
    expect(await errorOf(a.request('cyclic'))).toMatchObject({ code: 'BAD', message: 'cyclic data', data: undefined });
  });
});

describe('the catch-all notification handler', () => {
  test('gets every notification without a handler of its own, with its name; never the reserved cancel', async () => {
    const [a, b] = pair();
    const seen: string[] = [];
    b.handlers.onNotification('known', () => void seen.push('known handler'));
    b.handlers.notificationFallback((_payload, ctx) => void seen.push(`fallback: ${ctx.name}`));
    a.notify('known', 1);
    a.notify('other', 2);
    a.notify('third', 3);
    const controller = new AbortController();
    b.handlers.handle('slow', (_v, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(null))));
    const slow = errorOf(a.request('slow', null, { signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(); // sends $cancel
    await slow;
    expect(await a.request('echo').catch(() => 'round trip')).toBe('round trip');
    expect(seen).toEqual(['known handler', 'fallback: other', 'fallback: third']);
  });
});
