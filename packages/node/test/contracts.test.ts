// Contracts, middleware and typed connection data on a real server: over TCP and WebSocket, with
// the reconnecting client as the caller, the server's `use` option around every connection, and
// the accept hook's result typed in handlers.
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  connect,
  connectClient,
  createProxy,
  defineContract,
  notification,
  operation,
  RemoteError,
  Server,
  streamOperation,
  type Middleware,
  type Peer,
} from '@gotalk/node';
import { Cleanup, errorOf, waitFor } from '@gotalk/test-kit';
import { serve } from '@gotalk/test-kit/node';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** What the accept hook makes of each connection. */
interface Session {
  readonly user: string;
  readonly admin: boolean;
}

const notes = defineContract({
  add: operation({ input: z.object({ text: z.string().max(100) }), output: z.object({ id: z.number(), by: z.string() }) }),
  purge: operation({ input: z.null(), output: z.number() }),
  list: streamOperation({ input: z.null(), output: z.object({ id: z.number(), text: z.string() }) }),
  seen: notification(z.object({ id: z.number() })),
});

/** A server of `notes`, its users told apart by the client's `user` header (WebSocket) or the address (TCP). */
async function notesServer(addresses: string[], use: Middleware<Session>[] = []) {
  const stored: { id: number; text: string }[] = [];
  const seen: [number, string][] = [];
  const server = await serve(cleanup, addresses, {
    accept: (info) => {
      const header = info.request?.headers['x-user'];
      const user = typeof header === 'string' ? header : 'tcp-user';
      return { user, admin: user === 'root' };
    },
    use,
  });
  // Typed by what the accept hook returns: no casts in the handlers below.
  expectTypeOf(server).toEqualTypeOf<Server<{ user: string; admin: boolean }>>();
  expectTypeOf(server.peers).toEqualTypeOf<Set<Peer<{ user: string; admin: boolean }>>>();
  // @ts-expect-error the data has no field role
  server.handlers.handle('role', (_v, ctx) => ctx.data.role);
  server.handlers.implement(notes, {
    add: ({ text }, ctx) => {
      stored.push({ id: stored.length + 1, text });
      return { id: stored.length, by: ctx.data.user };
    },
    purge: () => stored.splice(0).length,
    list: function* () {
      yield* stored;
    },
    seen: ({ id }, ctx) => void seen.push([id, ctx.data.user]),
  });
  return { server, stored, seen };
}

describe('a contract served over real transports', () => {
  it('over TCP and WebSocket, with the data the accept hook gave each connection', async () => {
    const { server, seen } = await notesServer(['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/gotalk/']);
    const [tcp, ws] = server.addresses;
    const overTcp = await connect(tcp!);
    const overWs = await connect(ws!, { headers: { 'x-user': 'ann' } });
    cleanup.add(() => overTcp.destroy());
    cleanup.add(() => overWs.destroy());
    const viaTcp = createProxy(overTcp, notes);
    const viaWs = createProxy(overWs, notes);
    expect(await viaTcp.add({ text: 'one' })).toEqual({ id: 1, by: 'tcp-user' });
    expect(await viaWs.add({ text: 'two' })).toEqual({ id: 2, by: 'ann' });
    const listed: string[] = [];
    for await (const n of viaWs.list([null])) listed.push(`${n.id}:${n.text}`);
    expect(listed).toEqual(['1:one', '2:two']);
    await viaWs.seen({ id: 2 });
    await waitFor(() => seen.length === 1, 'the notification');
    expect(seen).toEqual([[2, 'ann']]);
    expect((await errorOf(viaTcp.add({ text: 'x'.repeat(101) }))).message).toMatch(/^invalid input: text: /);
  });

  it('the reconnecting client is a caller too', async () => {
    const { server } = await notesServer(['ws://127.0.0.1:0/gotalk/']);
    const client = connectClient(server.addresses[0]!, { headers: { 'x-user': 'bo' } });
    cleanup.add(() => client.close());
    const api = createProxy(client, notes);
    expect(await api.add({ text: 'queued until connected' })).toEqual({ id: 1, by: 'bo' });
  });
});

describe("the server's middleware", () => {
  it('authorizes per operation with a structured code, logs with durations, around every connection', async () => {
    const log: string[] = [];
    const logging: Middleware<Session> = async (call, next) => {
      const started = performance.now();
      try {
        return await next();
      } finally {
        log.push(`${call.data.user} ${call.kind} ${call.op} ${performance.now() - started >= 0 ? 'ms' : '?'}`);
      }
    };
    const adminsOnly: Middleware<Session> = (call, next) => {
      if (call.op === 'purge' && !call.data.admin) throw new RemoteError('purge is for admins', { code: 'FORBIDDEN' });
      return next();
    };
    const { server } = await notesServer(['ws://127.0.0.1:0/gotalk/'], [logging, adminsOnly]);
    const ann = await connect(server.addresses[0]!, { headers: { 'x-user': 'ann' } });
    const root = await connect(server.addresses[0]!, { headers: { 'x-user': 'root' } });
    cleanup.add(() => ann.destroy());
    cleanup.add(() => root.destroy());
    // A handler on the peer's own registry is covered too: the server's hooks are every peer's.
    for (const p of server.peers) p.handlers.handle('whoami', (_v, ctx) => ctx.data.user);
    await createProxy(ann, notes).add({ text: 'a' });
    const refused = await errorOf(createProxy(ann, notes).purge(null));
    expect(refused).toBeInstanceOf(RemoteError);
    expect(refused.code).toBe('FORBIDDEN');
    expect(await createProxy(root, notes).purge(null)).toBe(1);
    expect(await ann.request('whoami')).toBe('ann');
    expect(log).toEqual(['ann request add ms', 'ann request purge ms', 'root request purge ms', 'ann request whoami ms']);
  });
});
