// Contracts for a whole service: one object shared by the side that implements it and the side
// that calls it through a typed proxy, with zod, with a hand-written Standard Schema, and typed
// only; outgoing hooks on the proxy.
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  ClosedError,
  connectedPeers,
  createProxy,
  defineContract,
  defineOperation,
  notification,
  operation,
  RemoteError,
  streamOperation,
  typed,
  ValidationError,
  type OutgoingHook,
  type StandardSchemaV1,
} from '@gotalk/peer';
import { errorOf, str, waitFor } from '@gotalk/test-kit';
import { framesOf, tappedPeers } from './helpers.ts';

const quiet = { heartbeatInterval: 0 };

/** A Standard Schema written by hand: a positive integer. */
const positive: StandardSchemaV1<number, number> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (v) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? { value: v } : { issues: [{ message: 'not a positive integer' }] }),
  },
};

const greeter = defineContract({
  greet: operation({ input: z.object({ name: z.string().min(1) }), output: z.object({ greeting: z.string() }) }),
  countTo: streamOperation({ name: 'count-to', input: positive, output: z.number() }),
  chat: notification(z.object({ text: z.string() })),
  legacy: defineOperation('old-name', { input: z.null(), output: z.string() }),
});

function serve(extra: { seen?: string[] } = {}) {
  const [client, server] = connectedPeers(quiet, quiet);
  server.handlers.implement(greeter, {
    greet: ({ name }) => ({ greeting: `Hello ${name}` }),
    countTo: async function* (inputs) {
      for await (const n of inputs) for (let i = 1; i <= n; i++) yield i;
    },
    chat: ({ text }) => void extra.seen?.push(text),
    legacy: () => 'still here',
  });
  return { client, server, api: createProxy(client, greeter) };
}

describe('a contract', () => {
  test('names entries by their key unless they carry a name', () => {
    expect(Object.fromEntries(Object.entries(greeter.entries).map(([k, e]) => [k, `${e.kind} ${e.name}`]))).toEqual({
      greet: 'operation greet',
      countTo: 'stream count-to',
      chat: 'notification chat',
      legacy: 'operation old-name',
    });
  });

  test('refuses entries of no known kind and a wire name used twice', () => {
    expect(() => defineContract({ x: { kind: 'nope' } as never })).toThrow(/contract entry "x" is not an operation/);
    expect(() => defineContract({ a: operation<null, null>(), b: streamOperation({ name: 'a', input: z.null(), output: z.null() }) })).toThrow(
      /the name "a" is used twice/,
    );
    // An op and a notification may share a name: they are apart on the wire.
    expect(() => defineContract({ a: operation<null, null>(), b: notification(z.null(), 'a') })).not.toThrow();
  });

  test('an implementation without one of its functions is refused at once, naming it', () => {
    const [a] = connectedPeers(quiet, quiet);
    expect(() => a.handlers.implement(greeter, { greet: () => ({ greeting: '' }) } as never)).toThrow(/no function "countTo"/);
    a.destroy();
  });
});

describe('the proxy', () => {
  test('calls operations, streams and notifications with the wire names of the contract', async () => {
    const seen: string[] = [];
    const { client, api } = serve({ seen });
    expect(await api.greet({ name: 'Ann' })).toEqual({ greeting: 'Hello Ann' });
    const counted: number[] = [];
    for await (const n of api.countTo([2, 3])) counted.push(n);
    expect(counted).toEqual([1, 2, 1, 2, 3]);
    await api.chat({ text: 'hi' });
    expect(await api.legacy(null)).toBe('still here');
    expect(await client.request('old-name', null)).toBe('still here');
    await waitFor(() => seen.length === 1, 'the notification');
    expect(seen).toEqual(['hi']);
    client.destroy();
  });

  test('schemas validate at both ends: bad input is refused by the server, a bad output by the caller', async () => {
    const { client, server, api } = serve();
    const bad = await errorOf(api.greet({ name: '' }));
    expect(bad).toBeInstanceOf(RemoteError);
    expect(bad.message).toMatch(/^invalid input: name: /);
    const parts = await errorOf(
      (async () => {
        for await (const _ of api.countTo([0])) void _;
      })(),
    );
    expect(parts.message).toMatch(/invalid input: not a positive integer/);
    // A notification is checked before it is sent.
    expect(await errorOf(api.chat({ text: 5 } as never))).toBeInstanceOf(ValidationError);
    server.handlers.handle('greet', () => ({ greting: 'typo' }));
    const out = await errorOf(api.greet({ name: 'x' }));
    expect(out).toBeInstanceOf(ValidationError);
    expect(out.message).toMatch(/^invalid output: greeting: /);
    client.destroy();
  });

  test('per-call options reach the request: a timeout, a signal', async () => {
    const { client, server, api } = serve();
    server.handlers.handle('greet', () => new Promise(() => {}));
    expect((await errorOf(api.greet({ name: 'x' }, { timeout: 20 }))).code).toBe('TIMEOUT');
    const abort = new AbortController();
    const pending = api.greet({ name: 'x' }, { signal: abort.signal });
    abort.abort();
    expect((await errorOf(pending)).code).toBe('ABORTED');
    client.destroy();
  });

  test('a stream sends nothing until it is iterated; a handler calls back through a proxy over ctx.peer', async () => {
    const { a, b, sent } = tappedPeers(quiet, quiet);
    const page = defineContract({ ask: operation({ input: z.string(), output: z.string() }) });
    a.handlers.implement(page, { ask: (q) => `page says: ${q}` });
    b.handlers.implement(greeter, {
      greet: async ({ name }, ctx) => ({ greeting: await createProxy(ctx.peer, page).ask(name) }),
      countTo: () => [],
      chat: () => {},
      legacy: () => '',
    });
    const api = createProxy(a, greeter);
    const stream = api.countTo([1]);
    expect(await api.greet({ name: 'hi' })).toEqual({ greeting: 'page says: hi' });
    expect(framesOf(sent('a'), 's')).toHaveLength(0);
    for await (const _ of stream) void _;
    expect(framesOf(sent('a'), 's')).toHaveLength(1);
    a.destroy();
  });

  test('typed only: a TypeScript type and no schema, values pass as they are', async () => {
    interface Point {
      x: number;
      y: number;
    }
    const geometry = defineContract({
      add: operation<[Point, Point], Point>(),
      walk: streamOperation<Point, Point>(),
      moved: notification<Point>(),
    });
    const [a, b] = connectedPeers(quiet, quiet);
    const moved: Point[] = [];
    b.handlers.implement(geometry, {
      add: ([p, q]) => ({ x: p.x + q.x, y: p.y + q.y }),
      walk: async function* (steps) {
        const at = { x: 0, y: 0 };
        for await (const s of steps) yield { x: (at.x += s.x), y: (at.y += s.y) };
      },
      moved: (p) => void moved.push(p),
    });
    const api = createProxy(a, geometry);
    expect(
      await api.add([
        { x: 1, y: 2 },
        { x: 3, y: 4 },
      ]),
    ).toEqual({ x: 4, y: 6 });
    const path: Point[] = [];
    for await (const p of api.walk([
      { x: 1, y: 0 },
      { x: 0, y: 1 },
    ]))
      path.push(p);
    expect(path).toEqual([
      { x: 1, y: 0 },
      { x: 1, y: 1 },
    ]);
    await api.moved({ x: 9, y: 9 });
    await waitFor(() => moved.length === 1, 'the notification');
    a.destroy();
  });

  test('the proxy is frozen and has exactly the methods of the contract', () => {
    const [a] = connectedPeers(quiet, quiet);
    const api = createProxy(a, greeter);
    expect(Object.keys(api).sort()).toEqual(['chat', 'countTo', 'greet', 'legacy']);
    expect(Object.isFrozen(api)).toBe(true);
    a.destroy();
  });
});

describe('outgoing hooks', () => {
  test('run first outermost, see the call, may change its input and time it', async () => {
    const { client, server } = serve();
    const order: string[] = [];
    const tokens: unknown[] = [];
    server.handlers.handle('greet', (value) => {
      tokens.push((value as { token?: string }).token);
      return { greeting: 'ok' };
    });
    const timings: string[] = [];
    const timing: OutgoingHook = async (call, next) => {
      order.push(`timing ${call.kind} ${call.method} ${call.op}`);
      const started = performance.now();
      try {
        return await next();
      } finally {
        timings.push(`${call.op} ${performance.now() - started >= 0 ? 'timed' : '?'}`);
      }
    };
    const token: OutgoingHook = (call, next) => {
      order.push('token');
      return next({ ...call, input: { ...(call.input as object), token: 'secret' } });
    };
    const api = createProxy(client, greeter, { use: [timing, token] });
    expect(await api.greet({ name: 'x' })).toEqual({ greeting: 'ok' });
    expect(order).toEqual(['timing operation greet greet', 'token']);
    expect(tokens).toEqual(['secret']);
    expect(timings).toEqual(['greet timed']);
    client.destroy();
  });

  test('a hook may retry a failed call, and answer without calling', async () => {
    const { client, server } = serve();
    let calls = 0;
    server.handlers.handle('greet', () => {
      if (++calls < 3) throw new RemoteError('busy', { code: 'BUSY' });
      return { greeting: `after ${calls}` };
    });
    const retry: OutgoingHook = async (call, next) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await next();
        } catch (err) {
          if (attempt === 3 || (err as RemoteError).code !== 'BUSY') throw err;
        }
      }
    };
    const cached: OutgoingHook = (call, next) => (call.op === 'old-name' ? Promise.resolve('from the cache') : next());
    const api = createProxy(client, greeter, { use: [cached, retry] });
    expect(await api.greet({ name: 'x' })).toEqual({ greeting: 'after 3' });
    expect(await api.legacy(null)).toBe('from the cache');
    client.destroy();
    expect(await errorOf(api.greet({ name: 'x' }))).toBeInstanceOf(ClosedError);
  });

  test('a stream hook sees the start and hands back the parts unbuffered', async () => {
    const { client, server } = serve();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    server.handlers.implement(greeter.entries.countTo, async function* () {
      yield 1;
      await gate; // the second part waits: the first must reach the caller before it
      yield 2;
    });
    const started: string[] = [];
    const api = createProxy(client, greeter, {
      use: [
        (call, next) => {
          started.push(`${call.kind} ${call.op}`);
          return next();
        },
      ],
    });
    const got: number[] = [];
    for await (const n of api.countTo([1])) {
      got.push(n);
      release();
    }
    expect(got).toEqual([1, 2]);
    expect(started).toEqual(['stream count-to']);
    client.destroy();
  });
});

describe('on the wire', () => {
  test('a proxy call is the same request as call() makes', async () => {
    const { a, b, sent } = tappedPeers(quiet, quiet);
    b.handlers.implement(greeter, {
      greet: ({ name }) => ({ greeting: name }),
      countTo: () => [],
      chat: () => {},
      legacy: () => '',
    });
    await createProxy(a, greeter).greet({ name: 'wire' });
    await a.call(greeter.entries.greet, { name: 'wire' });
    const [viaProxy, viaCall] = framesOf(sent('a'), 'r');
    expect(str(viaProxy!.payload)).toBe('{"name":"wire"}');
    expect(viaProxy).toMatchObject({ op: 'greet' });
    expect(str(viaCall!.payload)).toBe(str(viaProxy!.payload));
    a.destroy();
  });

  test('typed() checks nothing', async () => {
    expect(typed<number>()['~standard'].validate('not a number')).toEqual({ value: 'not a number' });
  });
});
