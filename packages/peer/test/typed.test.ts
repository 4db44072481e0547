import { describe, expect, expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import {
  connectedPeers,
  defineNotification,
  defineOperation,
  defineStreamOperation,
  Handlers,
  RemoteError,
  ValidationError,
  type NotificationType,
  type Operation,
  type Connection,
  type StandardSchemaV1,
  type StreamOperation,
} from '@gotalk/peer';
import { delay, errorOf, str, waitFor } from '@gotalk/test-kit';
import { framesOf, recordActivity, tappedPeers } from './helpers.ts';

const greet = defineOperation('greet', {
  input: z.object({ name: z.string() }),
  output: z.object({ greeting: z.string() }),
});

const register = defineOperation('register', {
  input: z.object({ user: z.object({ name: z.string().min(1), tags: z.array(z.string()) }) }),
  output: z.object({ id: z.number().int() }),
});

/** Input and output types differ: a string goes in, its length comes out of the parse. */
const measure = defineOperation('measure', {
  input: z.string().transform((s) => s.length),
  output: z.number().transform((n) => `${n} chars`),
});

const count = defineStreamOperation('count', {
  input: z.object({ n: z.number() }),
  output: z.object({ total: z.number() }),
});

const chat = defineNotification('chat', z.object({ text: z.string() }));

describe('typed operations with zod', () => {
  test('a typed call round-trips and the responder gets parsed input', async () => {
    const [a, b] = connectedPeers();
    b.handlers.implement(greet, ({ name }) => ({ greeting: `Hello ${name}` }));
    expect(await a.call(greet, { name: 'Ann' })).toEqual({ greeting: 'Hello Ann' });
    a.destroy();
  });

  test('transforming schemas: the handler gets the parsed input and the caller the parsed output', async () => {
    const { a, b, sent } = tappedPeers();
    const seen: number[] = [];
    b.handlers.implement(measure, (len) => {
      seen.push(len);
      return len * 2;
    });
    expect(await a.call(measure, 'abcd')).toBe('8 chars');
    expect(seen).toEqual([4]);
    // On the wire: the caller's input value as given, and the handler's output before parsing.
    expect(str(framesOf(sent('a'), 'r')[0]!.payload)).toBe('"abcd"');
    expect(str(framesOf(sent('b'), 'R')[0]!.payload)).toBe('8');
    a.destroy();
  });

  test('invalid input is refused by the responder with an error naming the field path', async () => {
    const [a, b] = connectedPeers();
    let called = false;
    b.handlers.implement(register, () => {
      called = true;
      return { id: 1 };
    });
    const err1 = await errorOf(a.request('register', { user: { name: 'x', tags: ['ok', 5] } }));
    expect(err1).toBeInstanceOf(RemoteError);
    expect(err1.message).toMatch(/^invalid input: /);
    expect(err1.message).toContain('user.tags.1');
    const err2 = await errorOf(a.request('register', { user: { name: '', tags: [] } }));
    expect(err2.message).toContain('user.name');
    expect(err2.message).not.toContain('tags');
    const err3 = await errorOf(a.request('greet-missing', null));
    expect(err3.message).toBe('unknown operation "greet-missing"');
    b.handlers.implement(greet, () => ({ greeting: 'hi' }));
    const err4 = await errorOf(a.request('greet', { name: 1 }));
    expect(err4.message).toMatch(/^invalid input: name: /);
    expect(called).toBe(false);
    a.destroy();
  });

  test("the handler's output is validated before it is sent", async () => {
    const [a, b] = connectedPeers();
    const events = recordActivity(b);
    b.handlers.implement(greet, () => ({ greeting: 42 }) as unknown as { greeting: string });
    const err = await errorOf(a.request('greet', { name: 'x' }));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toMatch(/^invalid output: greeting: /);
    const reported = events.find((e) => e.type === 'error');
    expect(reported?.type === 'error' && reported.error).toBeInstanceOf(ValidationError);
    a.destroy();
  });

  test('async handlers work with typed operations', async () => {
    const [a, b] = connectedPeers();
    b.handlers.implement(greet, async ({ name }) => {
      await delay(2);
      return { greeting: `hey ${name}` };
    });
    expect(await a.call(greet, { name: 'Bo' })).toEqual({ greeting: 'hey Bo' });
    a.destroy();
  });

  test('the requestor validates the result: a wrong shape from a raw handler is a ValidationError', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('greet', () => ({ greting: 'typo' }));
    const err = await errorOf(a.call(greet, { name: 'x' }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toMatch(/^invalid output: greeting: /);
    expect((err as ValidationError).issues[0]!.path).toBe('greeting');
    a.destroy();
  });

  test('the requestor does not validate its own input: the responder does', async () => {
    const { a, b, sent } = tappedPeers();
    b.handlers.implement(greet, ({ name }) => ({ greeting: name }));
    const err = await errorOf(a.call(greet, { name: 7 } as unknown as { name: string }));
    expect(err).toBeInstanceOf(RemoteError);
    expect(framesOf(sent('a'), 'r')).toHaveLength(1);
    a.destroy();
  });

  test('typed streaming operations validate each part both ways', async () => {
    const [a, b] = connectedPeers();
    b.handlers.implement(count, async function* (inputs) {
      let total = 0;
      for await (const { n } of inputs) {
        total += n;
        yield { total };
      }
    });
    const out: number[] = [];
    for await (const { total } of a.callStream(count, [{ n: 1 }, { n: 2 }, { n: 3 }])) out.push(total);
    expect(out).toEqual([1, 3, 6]);

    // A bad input part fails the stream with an error naming the field.
    const bad = async () => {
      for await (const _ of a.callStream(count, [{ n: 1 }, { n: 'two' } as unknown as { n: number }])) {
        // drain
      }
    };
    const err = await errorOf(bad());
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toMatch(/^invalid input: n: /);
    a.destroy();
  });

  test('a typed stream caller validates each result part', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handleStream('count', async function* () {
      yield new TextEncoder().encode('{"total":1}');
      yield new TextEncoder().encode('{"total":"x"}');
    });
    const got: number[] = [];
    const err = await errorOf(
      (async () => {
        for await (const { total } of a.callStream(count, [{ n: 1 }])) got.push(total);
      })(),
    );
    expect(got).toEqual([1]);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.code).toBe('VALIDATION');
    a.destroy();
  });

  test('typed notifications are validated before sending and on receipt', async () => {
    const { a, b, sent } = tappedPeers();
    const received: string[] = [];
    const events = recordActivity(b);
    b.handlers.onNotification(chat, ({ text }) => void received.push(text));
    await a.notify(chat, { text: 'hi' });
    await waitFor(() => received.length === 1);
    expect(received).toEqual(['hi']);
    // Invalid: rejected locally, nothing sent.
    const err = await errorOf(a.notify(chat, { text: 5 } as unknown as { text: string }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(framesOf(sent('a'), 'n')).toHaveLength(1);
    // An invalid payload arriving is reported as activity and dropped.
    a.notify('chat', { txt: 'wrong' });
    await waitFor(() => events.some((e) => e.type === 'error'));
    const reported = events.find((e) => e.type === 'error');
    expect(reported?.type === 'error' && reported.error).toBeInstanceOf(ValidationError);
    expect(received).toEqual(['hi']);
    a.destroy();
  });
});

/** A Standard Schema written by hand: a positive integer, optionally validated asynchronously. */
function positiveInt(async: boolean): StandardSchemaV1<number, number> {
  const check = (value: unknown): StandardSchemaV1.Result<number> =>
    typeof value === 'number' && Number.isInteger(value) && value > 0
      ? { value }
      : { issues: [{ message: 'expected a positive integer', path: [{ key: 'n' }] }] };
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value) => (async ? new Promise((resolve) => setTimeout(() => resolve(check(value)), 1)) : check(value)),
    },
  };
}

test('a transforming notification schema: the value is sent as given and parsed once, by the receiver', async () => {
  const stamp = defineNotification(
    'stamp',
    z.string().transform((s) => s.length),
  );
  const { a, b, sent } = tappedPeers();
  const got: number[] = [];
  b.handlers.onNotification(stamp, (n) => void got.push(n));
  await a.notify(stamp, 'four');
  await waitFor(() => got.length === 1);
  expect(got).toEqual([4]);
  expect(str(framesOf(sent('a'), 'n')[0]!.payload)).toBe('"four"');
  a.destroy();
});

describe('any Standard Schema', () => {
  test.each([false, true])('a hand-written schema works at both ends (async validate: %s)', async (async) => {
    const double = defineOperation('double', { input: positiveInt(async), output: positiveInt(async) });
    const [a, b] = connectedPeers();
    b.handlers.implement(double, (n) => n * 2);
    expect(await a.call(double, 21)).toBe(42);
    const bad = await errorOf(a.call(double, -1));
    expect(bad).toBeInstanceOf(RemoteError);
    expect(bad.message).toBe('invalid input: n: expected a positive integer');
    // Output validation at the responder.
    b.handlers.implement(double, () => 0);
    expect((await errorOf(a.call(double, 1))).message).toBe('invalid output: n: expected a positive integer');
    // Output validation at the requestor.
    b.handlers.handle('double', () => 1.5);
    const err = await errorOf(a.call(double, 1));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe('invalid output: n: expected a positive integer');
    a.destroy();
  });

  test('an async notification schema rejects an invalid value before sending', async () => {
    const tick = defineNotification('tick', positiveInt(true));
    const { a, b, sent } = tappedPeers();
    const got: number[] = [];
    b.handlers.onNotification(tick, (n) => void got.push(n));
    await a.notify(tick, 3);
    await expect(a.notify(tick, 0)).rejects.toBeInstanceOf(ValidationError);
    await waitFor(() => got.length === 1);
    expect(framesOf(sent('a'), 'n').map((n) => str(n.payload))).toEqual(['3']);
    a.destroy();
  });
});

describe('types', () => {
  test('inferred types at both ends', async () => {
    const [a, b] = connectedPeers();
    const handlers = new Handlers();

    expectTypeOf(greet).toEqualTypeOf<Operation<z.ZodObject<{ name: z.ZodString }>, z.ZodObject<{ greeting: z.ZodString }>>>();
    expectTypeOf(count).toExtend<StreamOperation>();
    expectTypeOf(chat).toExtend<NotificationType>();

    // Responder: parsed input in, the output schema's input type out.
    b.handlers.implement(greet, (input, ctx) => {
      expectTypeOf(input).toEqualTypeOf<{ name: string }>();
      expectTypeOf(ctx.peer).toEqualTypeOf<Connection>();
      return { greeting: input.name };
    });
    handlers.implement(measure, (len) => {
      expectTypeOf(len).toEqualTypeOf<number>();
      return len;
    });
    handlers.implement(count, async function* (inputs) {
      expectTypeOf(inputs).toEqualTypeOf<AsyncIterable<{ n: number }>>();
      yield { total: 1 };
    });
    handlers.onNotification(chat, (msg) => {
      expectTypeOf(msg).toEqualTypeOf<{ text: string }>();
    });

    // Requestor: the input schema's input type in, the parsed output out (not called: types only).
    expectTypeOf(() => a.call(greet, { name: 'x' })).returns.resolves.toEqualTypeOf<{ greeting: string }>();
    expectTypeOf(() => a.call(measure, 'abc')).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(() => a.callStream(count, [{ n: 1 }])).returns.toEqualTypeOf<AsyncGenerator<{ total: number }, void, undefined>>();
    expectTypeOf(() => a.notify(chat, { text: 'x' })).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(() => a.notify('free-form', 1)).returns.toEqualTypeOf<void>();
    const double = defineOperation('d', { input: positiveInt(false), output: positiveInt(false) });
    expectTypeOf(() => a.call(double, 1)).returns.resolves.toEqualTypeOf<number>();

    // Wrong types are compile errors (checked by the typecheck, which fails on an unused directive).
    // @ts-expect-error name must be a string
    await expect(a.call(greet, { name: 1 })).rejects.toBeInstanceOf(RemoteError);
    // @ts-expect-error the input is required
    await expect(a.call(greet)).rejects.toBeInstanceOf(RemoteError);
    // @ts-expect-error measure takes the string before its transform, not the number after
    await expect(a.call(measure, 3)).rejects.toBeInstanceOf(RemoteError);
    // @ts-expect-error chat needs text
    await expect(a.notify(chat, { txt: 'x' })).rejects.toBeInstanceOf(ValidationError);
    // @ts-expect-error the handler must answer the output shape
    handlers.implement(greet, () => ({ greeting: 1 }));
    // @ts-expect-error the handler's input has no `nam`
    handlers.implement(greet, (input) => ({ greeting: input.nam }));
    handlers.implement(count, async function* (inputs) {
      // @ts-expect-error a stream operation's inputs are { n: number }
      for await (const i of inputs) yield { total: i.m };
    });
    // @ts-expect-error callStream inputs must match
    expectTypeOf(() => a.callStream(count, [{ n: 'x' }])).returns.not.toBeAny();
    // @ts-expect-error the hand-written schema takes numbers
    expectTypeOf(() => a.call(double, '1')).returns.not.toBeAny();

    a.destroy();
  });
});
