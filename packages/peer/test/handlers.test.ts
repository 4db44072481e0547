import { describe, expect, test } from 'vitest';
import { ClosedError, connectedPeers, Handlers, Peer, RemoteError, ReplyText, type HandlerContext } from '@gotalk/peer';
import { bytes, deferred, delay, errorOf, str, waitFor } from '@gotalk/test-kit';
import { framesOf, recordActivity, tappedPeers } from './helpers.ts';

describe('registries', () => {
  test('one shared registry serves several connections; a peer-local handler takes precedence', async () => {
    const shared = new Handlers();
    shared.handle('whoami', (_v, ctx) => (ctx.peer.data as { name: string }).name);
    shared.handle('common', () => 'shared');
    const [c1, s1] = connectedPeers({}, { handlers: shared, data: { name: 's1' } });
    const [c2, s2] = connectedPeers({}, { handlers: shared, data: { name: 's2' } });
    s2.handlers.handle('common', () => 'local');
    expect(await c1.request('whoami')).toBe('s1');
    expect(await c2.request('whoami')).toBe('s2');
    expect(await c1.request('common')).toBe('shared');
    expect(await c2.request('common')).toBe('local');
    // Local registrations do not leak into the shared registry.
    expect(s1.handlers.lookup('common')).toBe(shared.lookup('common'));
    // Handlers added to the shared registry later are seen at once.
    shared.handle('later', () => 'added');
    expect(await c1.request('later')).toBe('added');
    expect(await c2.request('later')).toBe('added');
    // Removing the local one reveals the shared one again.
    expect(s2.handlers.remove('common')).toBe(true);
    expect(await c2.request('common')).toBe('shared');
    c1.destroy();
    c2.destroy();
  });

  test('registering a name again replaces its handler', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('v', () => 1);
    b.handlers.handle('v', () => 2);
    expect(await a.request('v')).toBe(2);
    a.destroy();
  });

  test('handleBytes, handle and handleStream all answer single requests', async () => {
    const [a, b] = connectedPeers();
    b.handlers
      .handleBytes('raw', (p) => new Uint8Array([...p, 0xff]))
      .handle('json', (v) => ({ got: v }))
      .handleStream('joined', async function* (parts) {
        for await (const p of parts) yield bytes(str(p).toUpperCase());
      });
    expect(Array.from(await a.requestBytes('raw', new Uint8Array([1, 2])))).toEqual([1, 2, 0xff]);
    expect(await a.request('json', [1])).toEqual({ got: [1] });
    expect(str(await a.requestBytes('joined', bytes('abc')))).toBe('ABC');
    a.destroy();
  });

  test('a JSON handler given invalid JSON answers an error result', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('json', (v) => v);
    const err = await errorOf(a.requestBytes('json', bytes('{oops')));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toMatch(/^invalid JSON input/);
    a.destroy();
  });

  test('a bytes handler returning something that is not bytes answers an error result', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handleBytes('bad', () => 'a string' as unknown as Uint8Array);
    const err = await errorOf(a.request('bad'));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toMatch(/not bytes/);
    a.destroy();
  });
});

describe('unknown operations and fallback', () => {
  test('an unknown op answers an error result with the reference text', async () => {
    const { a, sent } = tappedPeers();
    const err = await errorOf(a.request('nope', {}));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.code).toBe('REMOTE_ERROR');
    expect(err.message).toBe('unknown operation "nope"');
    expect(ReplyText.unknownOp('nope')).toBe('unknown operation "nope"');
    expect(str(framesOf(sent('b'), 'E')[0]!.payload)).toBe('unknown operation "nope"');
    a.destroy();
  });

  test('a fallback handler answers every op without a handler, and ctx.op names it', async () => {
    const shared = new Handlers();
    shared.handle('known', () => 'known');
    const [a, b] = connectedPeers({}, { handlers: shared });
    b.handlers.fallback((payload, ctx) => bytes(`${ctx.op}:${str(payload)}`));
    expect(str(await a.requestBytes('anything', bytes('x')))).toBe('anything:x');
    expect(str(await a.requestBytes('other', bytes('')))).toBe('other:');
    expect(await a.request('known')).toBe('known'); // a parent's specific handler beats the fallback
    b.handlers.fallback(undefined);
    expect((await errorOf(a.request('anything'))).message).toBe('unknown operation "anything"');
    a.destroy();
  });

  test("a shared registry's fallback serves every connection using it", async () => {
    const shared = new Handlers().fallback((_p, ctx) => bytes(JSON.stringify(ctx.op)));
    const [a] = connectedPeers({}, { handlers: shared });
    expect(await a.request('whatever')).toBe('whatever');
    a.destroy();
  });
});

describe('handler failures', () => {
  test('a thrown error becomes an error result with its message and no stack on the wire', async () => {
    const { a, b, sent } = tappedPeers();
    b.handlers.handle('sync', () => {
      throw new Error('sync failure');
    });
    b.handlers.handle('async', async () => {
      await delay(1);
      throw new TypeError('async failure');
    });
    b.handlers.handleBytes('bytes', () => Promise.reject(new RangeError('rejected')));
    expect((await errorOf(a.request('sync'))).message).toBe('sync failure');
    expect((await errorOf(a.request('async'))).message).toBe('async failure');
    expect((await errorOf(a.request('bytes'))).message).toBe('rejected');
    const texts = framesOf(sent('b'), 'E').map((e) => str(e.payload));
    expect(texts).toEqual(['sync failure', 'async failure', 'rejected']);
    for (const t of texts) {
      expect(t).not.toMatch(/\n|\bat\b|handlers\.test/);
    }
    a.destroy();
  });

  test('an Error with an empty message is answered with its name', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('e', () => {
      throw new TypeError();
    });
    expect((await errorOf(a.request('e'))).message).toBe('TypeError');
    a.destroy();
  });

  test('non-Error throws become readable error texts', async () => {
    const [a, b] = connectedPeers();
    const throws: Record<string, unknown> = { str: 'plain string', num: 42, obj: { code: 7 }, arr: [1, 'x'] };
    for (const [op, value] of Object.entries(throws)) {
      b.handlers.handle(op, () => {
        throw value;
      });
      b.handlers.handle(`${op}Async`, () => Promise.reject(value));
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    b.handlers.handle('cyclic', () => {
      throw cyclic;
    });
    const expected: Record<string, string> = { str: 'plain string', num: '42', obj: '{"code":7}', arr: '[1,"x"]' };
    for (const [op, text] of Object.entries(expected)) {
      expect((await errorOf(a.request(op))).message).toBe(text);
      expect((await errorOf(a.request(`${op}Async`))).message).toBe(text);
    }
    expect((await errorOf(a.request('cyclic'))).message).toBe('[object Object]');
    a.destroy();
  });

  test('throwing or rejecting with null or undefined answers the same error result', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('throwNull', () => {
      throw null;
    });
    b.handlers.handle('throwUndefined', () => {
      throw undefined;
    });
    b.handlers.handle('rejectNull', () => Promise.reject(null));
    b.handlers.handle('rejectUndefined', () => Promise.reject(undefined));
    const messages = await Promise.all(
      ['throwNull', 'throwUndefined', 'rejectNull', 'rejectUndefined'].map(async (op) => (await errorOf(a.request(op))).message),
    );
    expect(new Set(messages).size).toBe(1);
    expect(messages[0]).toBe('handler failed');
    a.destroy();
  });

  test('the connection stays up after handler errors, and each is reported as activity', async () => {
    const [a, b] = connectedPeers();
    const events = recordActivity(b);
    b.handlers.handle('boom', () => {
      throw new Error('boom');
    });
    b.handlers.handle('echo', (v) => v);
    for (let i = 0; i < 20; i++) await expect(a.request('boom')).rejects.toThrow('boom');
    expect(await a.request('echo', 'alive')).toBe('alive');
    expect(a.open && b.open).toBe(true);
    const errors = events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(20);
    a.destroy();
  });
});

describe('handler context', () => {
  test('ctx.peer calls the other side back during a request, and back again', async () => {
    const [client, server] = connectedPeers();
    client.handlers.handle('name', () => 'client');
    client.handlers.handle('double', async (v, ctx) => 2 * ((await ctx.peer.request('inc', v)) as number));
    server.handlers.handle('inc', (v) => (v as number) + 1);
    server.handlers.handle('hello', async (_v, ctx) => {
      expect(ctx.peer).toBe(server);
      const who = await ctx.peer.request('name');
      // A nested round trip: server -> client -> server.
      const d = await ctx.peer.request('double', 20);
      return `hello ${who as string}, ${d as number}`;
    });
    expect(await client.request('hello')).toBe('hello client, 42');
    client.destroy();
  });

  test('ctx has the op and the request id as sent on the wire', async () => {
    const { a, b, sent } = tappedPeers();
    const seen: { op: string; id: number }[] = [];
    b.handlers.handle('op-one', (_v, ctx) => void seen.push({ op: ctx.op, id: ctx.id }));
    b.handlers.fallback((_p, ctx) => (seen.push({ op: ctx.op, id: ctx.id }), new Uint8Array(0)));
    await a.request('op-one');
    await a.request('op-two');
    const ids = framesOf(sent('a'), 'r').map((r) => r.id);
    expect(seen).toEqual([
      { op: 'op-one', id: ids[0] },
      { op: 'op-two', id: ids[1] },
    ]);
    a.destroy();
  });

  test('ctx.signal fires when the connection goes, and the pending request fails with CLOSED', async () => {
    const [a, b] = connectedPeers();
    const started = deferred<HandlerContext>();
    const aborted = deferred<unknown>();
    b.handlers.handle('long', (_v, ctx) => {
      expect(ctx.signal.aborted).toBe(false);
      ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
      started.resolve(ctx);
      return new Promise(() => {});
    });
    const p = a.request('long');
    await started.promise;
    a.destroy();
    const reason = await aborted.promise;
    expect(reason).toBeInstanceOf(ClosedError);
    expect((await errorOf(p)).code).toBe('CLOSED');
    expect((await b.closed).reason).toBe('remote');
  });

  test("a handler's late answer after the connection went is dropped quietly", async () => {
    const [a, b] = connectedPeers();
    const go = deferred();
    const started = deferred();
    b.handlers.handle('late', async () => {
      started.resolve();
      await go.promise;
      return 'too late';
    });
    const p = a.request('late');
    await started.promise;
    b.destroy();
    go.resolve();
    expect((await errorOf(p)).code).toBe('CLOSED');
    await delay(5);
    expect(b.open).toBe(false);
  });

  test('handlers on both peers of one connection serve each other concurrently', async () => {
    const [a, b] = connectedPeers();
    a.handlers.handle('side', () => 'a');
    b.handlers.handle('side', () => 'b');
    const results = await Promise.all([a.request('side'), b.request('side'), a.request('side'), b.request('side')]);
    expect(results).toEqual(['b', 'a', 'b', 'a']);
    await waitFor(() => a.inFlight === 0 && b.inFlight === 0);
    expect(b).toBeInstanceOf(Peer);
    a.destroy();
  });
});
