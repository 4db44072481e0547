// Middleware around incoming requests and notifications: per peer and per handler registry, in
// a documented order; continue, answer or refuse; what a hook sees of a stream.
import { describe, expect, test } from 'vitest';
import { connectedPeers, Handlers, RemoteError, RetryLater, utf8, type Middleware } from '@gotalk/peer';
import { errorOf, str, waitFor } from '@gotalk/test-kit';
import { recordActivity } from './helpers.ts';

const quiet = { heartbeatInterval: 0 };

/** A hook that records `name` going in and coming out. */
function tracer(name: string, log: string[]): Middleware {
  return async (call, next) => {
    log.push(`${name} > ${call.kind} ${call.op}`);
    try {
      return await next();
    } finally {
      log.push(`${name} <`);
    }
  };
}

describe('order of composition', () => {
  test('peer options, then peer.use(), then the registry holding the handler; first added outermost', async () => {
    const log: string[] = [];
    const shared = new Handlers().use(tracer('shared-1', log), tracer('shared-2', log));
    shared.handle('op', () => (log.push('handler'), 'ok'));
    const [a, b] = connectedPeers(quiet, { ...quiet, handlers: shared, use: [tracer('option', log)] });
    b.use(tracer('peer', log));
    b.handlers.use(tracer('own', log)); // the peer's own registry: not around the shared registry's handler
    expect(await a.request('op')).toBe('ok');
    expect(log).toEqual([
      'option > request op',
      'peer > request op',
      'shared-1 > request op',
      'shared-2 > request op',
      'handler',
      'shared-2 <',
      'shared-1 <',
      'peer <',
      'option <',
    ]);

    log.length = 0;
    b.handlers.handle('mine', () => (log.push('handler'), 1));
    expect(await a.request('mine')).toBe(1);
    expect(log).toEqual(['option > request mine', 'peer > request mine', 'own > request mine', 'handler', 'own <', 'peer <', 'option <']);
    a.destroy();
  });

  test('a registry’s hooks cover its fallbacks; a request for an op nobody serves reaches no hook', async () => {
    const log: string[] = [];
    const [a, b] = connectedPeers(quiet, quiet);
    b.use(tracer('peer', log));
    expect((await errorOf(a.request('nobody'))).message).toBe('unknown operation "nobody"');
    expect(log).toEqual([]);
    b.handlers.use(tracer('own', log)).fallback((payload, ctx) => utf8(JSON.stringify(ctx.op)));
    expect(await a.request('anything')).toBe('anything');
    expect(log).toEqual(['peer > request anything', 'own > request anything', 'own <', 'peer <']);
    a.destroy();
  });

  test('hooks added later apply to handlers registered before', async () => {
    const log: string[] = [];
    const [a, b] = connectedPeers(quiet, quiet);
    b.handlers.handle('op', () => 1);
    b.handlers.use(tracer('late', log));
    await a.request('op');
    expect(log).toEqual(['late > request op', 'late <']);
    a.destroy();
  });
});

describe('what a hook can do', () => {
  test('see the op, the data and the input; refuse with a structured code', async () => {
    const [a, b] = connectedPeers(quiet, { ...quiet, data: { user: 'ann', roles: ['reader'] } });
    const seen: unknown[] = [];
    b.use((call, next) => {
      const { roles } = call.data as { roles: string[] };
      seen.push([call.op, call.input, call.data === call.peer.data]);
      if (call.op.startsWith('admin.') && !roles.includes('admin'))
        throw new RemoteError(`${call.op} needs the admin role`, { code: 'FORBIDDEN', data: { op: call.op } });
      return next();
    });
    b.handlers.handle('admin.drop', () => 'dropped');
    b.handlers.handle('read', (v) => v);
    const refused = await errorOf(a.request('admin.drop', { table: 't' }));
    expect(refused).toBeInstanceOf(RemoteError);
    expect(refused.code).toBe('FORBIDDEN');
    expect((refused as RemoteError).data).toEqual({ op: 'admin.drop' });
    expect(await a.request('read', [1])).toEqual([1]);
    expect(seen).toEqual([
      ['admin.drop', { table: 't' }, true],
      ['read', [1], true],
    ]);
    a.destroy();
  });

  test('answer without the handler: a value as JSON, bytes as they are', async () => {
    const [a, b] = connectedPeers(quiet, quiet);
    let ran = 0;
    b.handlers.handle('cached', () => ++ran);
    b.handlers.handle('raw', () => ++ran);
    b.use((call, next) => (call.op === 'cached' ? { from: 'cache' } : call.op === 'raw' ? utf8('"bytes"') : next()));
    expect(await a.request('cached')).toEqual({ from: 'cache' });
    expect(await a.request('raw')).toBe('bytes');
    expect(ran).toBe(0);
    a.destroy();
  });

  test('logging with durations and metrics by op and outcome', async () => {
    const [a, b] = connectedPeers(quiet, quiet);
    const lines: string[] = [];
    const metrics = new Map<string, number>();
    b.use(async (call, next) => {
      const started = performance.now();
      let outcome = 'ok';
      try {
        return await next();
      } catch (err) {
        outcome = (err as RemoteError).code ?? 'error';
        throw err;
      } finally {
        const ms = performance.now() - started;
        lines.push(`${call.op} ${outcome} ${ms >= 0 ? 'ms' : '?'}`);
        metrics.set(`${call.op}:${outcome}`, (metrics.get(`${call.op}:${outcome}`) ?? 0) + 1);
      }
    });
    b.handlers.handle('fine', () => null);
    b.handlers.handle('broken', () => {
      throw new RemoteError('nope', { code: 'NOT_FOUND' });
    });
    await a.request('fine');
    await a.request('fine');
    expect((await errorOf(a.request('broken'))).code).toBe('NOT_FOUND');
    expect(lines).toEqual(['fine ok ms', 'fine ok ms', 'broken NOT_FOUND ms']);
    expect(Object.fromEntries(metrics)).toEqual({ 'fine:ok': 2, 'broken:NOT_FOUND': 1 });
    a.destroy();
  });

  test('a rate limit answers retry results past its budget: the caller retries after the wait', async () => {
    const [a, b] = connectedPeers({ ...quiet, retries: 0 }, quiet);
    let tokens = 2;
    b.use((call, next) => {
      if (tokens === 0) throw new RetryLater(5, 'rate limit');
      tokens--;
      return next();
    });
    b.handlers.handle('op', () => 'ok');
    expect(await a.request('op')).toBe('ok');
    expect(await a.request('op')).toBe('ok');
    const limited = await errorOf(a.request('op'));
    expect(limited.code).toBe('RETRY_EXHAUSTED');
    expect(limited.message).toContain('rate limit');
    tokens = 1;
    expect(await a.request('op', null, { retries: 1 })).toBe('ok');
    a.destroy();
  });

  test('a hook that calls next twice fails the request', async () => {
    const [a, b] = connectedPeers(quiet, quiet);
    b.use(async (call, next) => {
      await next();
      return next();
    });
    b.handlers.handle('op', () => 1);
    expect((await errorOf(a.request('op'))).message).toBe('middleware called next() twice for "op"');
    a.destroy();
  });
});

describe('streams', () => {
  test('a hook sees the start of a stream request, not its parts, and never buffers it', async () => {
    const [a, b] = connectedPeers(quiet, quiet);
    const seen: unknown[] = [];
    b.use((call, next) => {
      seen.push({ kind: call.kind, op: call.op, payload: call.payload, input: call.input });
      return next();
    });
    let first: () => void = () => {};
    const firstArrived = new Promise<void>((r) => (first = r));
    b.handlers.handleStream('echo', async function* (parts) {
      for await (const p of parts) {
        first();
        yield p;
      }
    });
    let more: () => void = () => {};
    const gate = new Promise<void>((r) => (more = r));
    async function* input() {
      yield utf8('one');
      await gate; // the second part is sent only once the handler got the first
      yield utf8('two');
    }
    const out: string[] = [];
    const reading = (async () => {
      for await (const p of a.stream('echo', input())) out.push(str(p));
    })();
    await firstArrived;
    more();
    await reading;
    expect(out).toEqual(['one', 'two']);
    expect(seen).toEqual([{ kind: 'stream', op: 'echo', payload: undefined, input: undefined }]);
    a.destroy();
  });

  test('a refused stream gets its error before any part', async () => {
    const [a, b] = connectedPeers(quiet, quiet);
    let ran = false;
    b.use(() => {
      throw new RemoteError('no streams for you', { code: 'FORBIDDEN' });
    });
    b.handlers.handleStream('s', async function* () {
      ran = true;
      yield utf8('x');
    });
    const err = await errorOf(
      (async () => {
        for await (const _ of a.stream('s', [utf8('a')])) void _;
      })(),
    );
    expect(err.code).toBe('FORBIDDEN');
    expect(ran).toBe(false);
    a.destroy();
  });
});

describe('notifications', () => {
  test('hooks run around notification handlers; one that throws drops it and reports the error', async () => {
    const [a, b] = connectedPeers(quiet, { ...quiet, data: 'conn-1' });
    const events = recordActivity(b);
    const seen: string[] = [];
    const got: unknown[] = [];
    b.use((call, next) => {
      seen.push(`${call.kind} ${call.op} ${String(call.data)} ${JSON.stringify(call.input)}`);
      if (call.op === 'blocked') throw new Error('not allowed');
      return next();
    });
    b.handlers.onNotification('note', (v, ctx) => void got.push([v, ctx.data]));
    b.handlers.onNotification('blocked', (v) => void got.push(v));
    a.notify('blocked', 1);
    a.notify('note', { n: 2 });
    await waitFor(() => got.length === 1 && events.some((e) => e.type === 'error'), 'the notification and the error');
    expect(got).toEqual([[{ n: 2 }, 'conn-1']]);
    expect(seen).toEqual(['notification blocked conn-1 1', 'notification note conn-1 {"n":2}']);
    const error = events.find((e) => e.type === 'error');
    expect(error?.type === 'error' && error.error.message).toBe('not allowed');
    a.destroy();
  });
});
