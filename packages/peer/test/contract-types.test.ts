// Type-level tests of contracts, their implementations and proxies, middleware and typed
// connection data: checked by the repo's typecheck (the @ts-expect-error lines must be errors).
import { describe, expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import {
  connectedPeers,
  createProxy,
  defineContract,
  Handlers,
  notification,
  operation,
  Peer,
  streamOperation,
  type Caller,
  type ContractProxy,
  type HandlerContext,
  type Implementation,
  type IncomingCall,
  type Middleware,
  type NotificationContext,
  type RequestOptions,
} from '@gotalk/peer';

const shop = defineContract({
  price: operation({ input: z.object({ sku: z.string() }), output: z.object({ cents: z.number().int() }) }),
  // Input and output types differ from the parsed ones: the handler sees the parsed, the caller gives the input.
  measure: operation({ input: z.string().transform((s) => s.length), output: z.number().transform((n) => `${n}`) }),
  watch: streamOperation({ input: z.object({ sku: z.string() }), output: z.object({ cents: z.number() }) }),
  restocked: notification(z.object({ sku: z.string(), count: z.number() })),
  ping: operation<void, 'pong'>(),
});

const [a, b] = connectedPeers();
a.destroy();

/** Type-checks `fn` without running it: for calls that are wrong on purpose, or values that exist only as types. */
const typeOnly = (fn: () => void): void => void fn;
const api = createProxy(a, shop);

describe('the proxy', () => {
  test('operations take the input type and resolve with the output type', () => {
    expectTypeOf(api.price).parameter(0).toEqualTypeOf<{ sku: string }>();
    expectTypeOf(api.price).returns.toEqualTypeOf<Promise<{ cents: number }>>();
    expectTypeOf(api.measure).parameter(0).toEqualTypeOf<string>();
    expectTypeOf(api.measure).returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf(api.price).parameter(1).toEqualTypeOf<RequestOptions | undefined>();
    // A void input may be left out.
    expectTypeOf(api.ping).toBeCallableWith();
    expectTypeOf(api.ping).returns.toEqualTypeOf<Promise<'pong'>>();
  });

  test('a wrong input, a missing field or an unknown method are errors', () => {
    const never = false as boolean;
    if (never) {
      // @ts-expect-error sku must be a string
      void api.price({ sku: 1 });
      // @ts-expect-error sku is missing
      void api.price({});
      // @ts-expect-error no such method
      void api.cost({ sku: 'a' });
      // @ts-expect-error the options are RequestOptions
      void api.price({ sku: 'a' }, { timeout: 'soon' });
      // @ts-expect-error the payload of a notification is typed too
      void api.restocked({ sku: 'a' });
    }
  });

  test('streams take iterables of input and yield the output type; notifications resolve with void', () => {
    expectTypeOf(api.watch).parameter(0).toEqualTypeOf<Iterable<{ sku: string }> | AsyncIterable<{ sku: string }>>();
    expectTypeOf(api.watch).returns.toEqualTypeOf<AsyncGenerator<{ cents: number }, void, undefined>>();
    expectTypeOf(api.restocked).parameter(0).toEqualTypeOf<{ sku: string; count: number }>();
    expectTypeOf(api.restocked).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(api).toEqualTypeOf<ContractProxy<typeof shop>>();
  });

  test('any Caller will do', () => {
    expectTypeOf(createProxy<typeof shop>)
      .parameter(0)
      .toEqualTypeOf<Caller>();
  });
});

describe('the implementation', () => {
  const impl: Implementation<typeof shop> = {
    price: ({ sku }) => ({ cents: sku.length }),
    measure: (n) => n * 2,
    watch: async function* (inputs) {
      for await (const { sku } of inputs) yield { cents: sku.length };
    },
    restocked: ({ count }) => void count,
    ping: () => 'pong' as const,
  };

  test('handlers see parsed inputs and their contexts', () => {
    b.handlers.implement(shop, impl);
    expectTypeOf(impl.measure).parameter(0).toEqualTypeOf<number>();
    expectTypeOf(impl.measure).returns.toExtend<number | PromiseLike<number>>();
    expectTypeOf(impl.measure).returns.not.toExtend<string>();
    expectTypeOf(impl.watch).parameter(0).toEqualTypeOf<AsyncIterable<{ sku: string }>>();
    expectTypeOf(impl.restocked).parameter(1).toEqualTypeOf<NotificationContext>();
    expectTypeOf(impl.price).parameter(1).toEqualTypeOf<HandlerContext>();
  });

  test('a missing, extra or mistyped entry is an error', () => {
    typeOnly(() => {
      const { ping: _ping, ...withoutPing } = impl;
      // @ts-expect-error ping is missing
      b.handlers.implement(shop, withoutPing);
      // @ts-expect-error an entry the contract does not have
      b.handlers.implement(shop, { ...impl, extra: () => 1 });
      // @ts-expect-error (reported at the call: no overload matches) cents must be a number
      b.handlers.implement(shop, {
        ...impl,
        price: () => ({ cents: 'ten' }),
      });
      // @ts-expect-error (reported at the call: no overload matches) a stream yields the output type
      b.handlers.implement(shop, {
        ...impl,
        watch: async function* () {
          yield { cents: 'ten' };
        },
      });
      b.handlers.implement(shop, {
        ...impl,
        // @ts-expect-error the notification's payload has no field price
        restocked: ({ price }) => void price,
      });
    });
  });
});

describe('typed connection data', () => {
  interface Session {
    readonly user: string;
    readonly admin: boolean;
  }

  test('Handlers<D> hands ctx.data and ctx.peer.data typed to handlers, implementations and middleware', () => {
    typeOnly(() => {
      const handlers = new Handlers<Session>();
      handlers.handle('who', (_v, ctx) => {
        expectTypeOf(ctx.data).toEqualTypeOf<Session>();
        expectTypeOf(ctx.peer.data).toEqualTypeOf<Session>();
        return ctx.data.user;
      });
      handlers.onNotification('n', (_v, ctx) => {
        expectTypeOf(ctx.data).toEqualTypeOf<Session>();
      });
      handlers.implement(shop, {
        ...({} as Implementation<typeof shop, Session>),
        price: (_input, ctx) => ({ cents: ctx.data.admin ? 0 : 1 }),
      });
      handlers.use((call, next) => {
        expectTypeOf(call).toEqualTypeOf<IncomingCall<Session>>();
        expectTypeOf(call.data.admin).toEqualTypeOf<boolean>();
        return next();
      });
      // @ts-expect-error the data has no field role
      handlers.handle('role', (_v, ctx) => ctx.data.role);
      // @ts-expect-error middleware of other data does not fit
      handlers.use((() => undefined) as Middleware<{ other: 1 }>);
    });
  });

  test('a peer made with data of a type is a Peer of that type', () => {
    typeOnly(() => {
      const [one] = connectedPeers();
      one.destroy();
      expectTypeOf(one).toEqualTypeOf<Peer>();
      const typedPeer = null as unknown as Peer<Session>;
      expectTypeOf(typedPeer.data).toEqualTypeOf<Session>();
      expectTypeOf(typedPeer.handlers).toEqualTypeOf<Handlers<Session>>();
    });
  });
});
