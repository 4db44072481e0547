// Groups, broadcast and gather on a real server: clients over TCP and WebSocket join and leave
// groups through the server's handlers, are reached by `to()` and `everyone()`, answer gathers
// (one failing, one too slow for the deadline), and a client that does not read is left out
// before the server holds more than the bound for it.
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { connect, defineNotification, defineOperation, RemoteError, type Connection, type Gathered, type Peer, type Server } from '@gotalk/node';
import { Cleanup, delay, errorOf, thrownBy, waitFor } from '@gotalk/test-kit';
import { serve } from '@gotalk/test-kit/node';
import { z } from 'zod';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A server whose `join` / `leave` requests put the calling connection in or out of a group, and `say` tells a group but the sender. */
async function groupServer(options: Parameters<typeof serve>[2] = {}): Promise<Server> {
  const server = await serve(cleanup, ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/gotalk/'], options);
  server.handlers.handle('join', (group, ctx) => (server.groups.join(ctx.peer, group as string), server.groups.of(ctx.peer)));
  server.handlers.handle('leave', (group, ctx) => (server.groups.leave(ctx.peer, group as string), server.groups.of(ctx.peer)));
  server.handlers.handle('say', (value, ctx) => {
    const { group, text } = value as { group: string; text: string };
    return server.to(group).except(ctx.peer).notify('said', text).sent;
  });
  return server;
}

interface Member {
  readonly peer: Peer;
  readonly heard: unknown[];
}

/** A client of `server` over TCP (`i` even) or WebSocket (odd) that records the `said` and `news` notifications it gets. */
async function member(server: Server, i: number, options: Parameters<typeof connect>[1] = {}): Promise<Member> {
  const heard: unknown[] = [];
  const peer = await connect(server.addresses[i % 2]!, options);
  cleanup.add(() => peer.destroy());
  peer.handlers.onNotification('said', (v) => void heard.push(v));
  peer.handlers.onNotification('news', (v) => void heard.push(v));
  return { peer, heard };
}

describe('groups on a server', () => {
  it('connections join and leave groups; to() reaches the members of a group, except() leaves out the sender, everyone() all', async () => {
    const server = await groupServer();
    const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map((i) => member(server, i)));
    expect(await a!.peer.request('join', 'red')).toEqual(['red']);
    expect(await b!.peer.request('join', 'red')).toEqual(['red']);
    expect(await c!.peer.request('join', 'blue')).toEqual(['blue']);
    expect(await b!.peer.request('join', 'blue')).toEqual(['red', 'blue']);
    expect(server.groups.size('red')).toBe(2);
    expect(server.groups.names().sort()).toEqual(['blue', 'red']);

    expect(await a!.peer.request('say', { group: 'red', text: 'hi reds' })).toBe(1); // b only: not the sender
    const report = server.to('red', 'blue').notify('news', 'to red and blue');
    expect(report).toEqual({ sent: 3, behind: [] }); // b, in both, once
    expect(server.everyone().except('red').notify('news', 'to all but red').sent).toBe(2); // c and d
    await waitFor(() => b!.heard.length === 2 && d!.heard.length === 1 && c!.heard.length === 2, 'the notifications');
    expect(a!.heard).toEqual(['to red and blue']);
    expect(b!.heard).toEqual(['hi reds', 'to red and blue']);
    expect(c!.heard).toEqual(['to red and blue', 'to all but red']);
    expect(d!.heard).toEqual(['to all but red']);

    expect(await b!.peer.request('leave', 'red')).toEqual(['blue']);
    expect(server.groups.members('red')).toHaveLength(1);
    expect(server.to('nobody').notify('news', 'x')).toEqual({ sent: 0, behind: [] });
  });

  it('a closed connection leaves all its groups by itself, and empty groups are forgotten (no leak)', async () => {
    const server = await groupServer();
    const members = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => member(server, i)));
    for (const [i, m] of members.entries()) {
      await m.peer.request('join', 'all');
      await m.peer.request('join', `own-${i}`);
    }
    expect(server.groups.names()).toHaveLength(7);
    const gone: Connection[] = [];
    server.on('disconnect', (peer) => gone.push(peer));
    for (const m of members.slice(0, 3)) m.peer.destroy(); // TCP and WebSocket ones
    await waitFor(() => gone.length === 3, 'three disconnects');
    for (const p of gone) expect(server.groups.of(p)).toEqual([]);
    expect(server.groups.size('all')).toBe(3);
    expect(server.groups.names().sort()).toEqual(['all', 'own-3', 'own-4', 'own-5']);
    for (const m of members.slice(3)) await m.peer.close();
    await waitFor(() => server.peers.size === 0, 'every connection closed');
    expect(server.groups.names()).toEqual([]);
  });

  it('group names and counts are checked: INVALID_GROUP, GROUP_LIMIT (nothing joined), a bad name in to()', async () => {
    const server = await groupServer({ groups: { maxGroupsPerMember: 2 } });
    const a = await member(server, 0);
    await a.peer.request('join', 'one');
    await a.peer.request('join', 'two');
    const over = await errorOf(a.peer.request('join', 'three'));
    expect(over.message).toMatch(/at most 2 groups/);
    const [peer] = server.peers;
    expect(thrownBy(() => server.groups.join(peer!, 'three')).code).toBe('GROUP_LIMIT');
    expect(thrownBy(() => server.groups.join(peer!, '')).code).toBe('INVALID_GROUP');
    expect(thrownBy(() => server.groups.join(peer!, 'x'.repeat(257))).code).toBe('INVALID_GROUP');
    expect(thrownBy(() => server.to('')).code).toBe('INVALID_GROUP');
    expect(server.groups.of(peer!)).toEqual(['one', 'two']);
  });

  it('gather asks every member of a group under one deadline; each error stays its own (a handler error with its code, a TIMEOUT)', async () => {
    const server = await groupServer();
    const [ok, failing, slow, outside] = await Promise.all([0, 1, 2, 3].map((i) => member(server, i)));
    ok!.peer.handlers.handle('status', (v) => ({ fine: true, asked: v }));
    failing!.peer.handlers.handle('status', () => {
      throw new RemoteError('disk full', { code: 'NO_SPACE', data: { free: 0 } });
    });
    let slowCancelled = false;
    slow!.peer.handlers.handle(
      'status',
      (_v, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => ((slowCancelled = true), resolve(null)))),
    );
    outside!.peer.handlers.handle('status', () => ({ fine: true, asked: 'outside' }));
    for (const m of [ok, failing, slow]) await m!.peer.request('join', 'workers');

    const started = performance.now();
    const answers = await server.to('workers').gather('status', 'now?', { timeout: 400 });
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(5000);
    expect(answers).toHaveLength(3);
    const [first, second, third] = answers;
    expect(first).toMatchObject({ ok: true, value: { fine: true, asked: 'now?' } });
    expect(second).toMatchObject({ ok: false, error: { code: 'NO_SPACE', data: { free: 0 }, message: 'disk full' } });
    expect(third).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(third!.ms).toBeGreaterThanOrEqual(390);
    expect(first!.ms).toBeLessThan(third!.ms);
    await waitFor(() => slowCancelled, 'the slow member told to stop');
    // Each entry names its member: the server's own connection of that client.
    expect(new Set(answers.map((a) => a.member))).toEqual(new Set(server.groups.members('workers')));
  });

  it('a typed gather validates the input once and every answer by the output schema; a bad answer is that member alone', async () => {
    const server = await groupServer();
    const version = defineOperation('version', { input: z.object({ verbose: z.boolean() }), output: z.object({ v: z.number() }) });
    const [a, b] = await Promise.all([0, 1].map((i) => member(server, i)));
    a!.peer.handlers.handle('version', () => ({ v: 3 }));
    b!.peer.handlers.handle('version', () => ({ v: 'three' }));
    for (const m of [a, b]) await m!.peer.request('join', 'v');
    const answers = await server.to('v').gather(version, { verbose: true });
    expectTypeOf(answers).toEqualTypeOf<Gathered<{ v: number }, Connection>[]>();
    expect(answers.map((x) => x.ok)).toEqual([true, false]);
    expect(answers[0]).toMatchObject({ value: { v: 3 } });
    expect(answers[1]).toMatchObject({ error: { code: 'VALIDATION' } });
    // @ts-expect-error: the input is typed by the operation's schema
    await expect(server.to('v').gather(version, { verbose: 'yes' })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('a typed notification is validated once and sent to every member', async () => {
    const server = await groupServer();
    const news = defineNotification('news', z.object({ headline: z.string() }));
    const [a, b] = await Promise.all([0, 1].map((i) => member(server, i)));
    await a!.peer.request('join', 'readers');
    await b!.peer.request('join', 'readers');
    expect(await server.to('readers').notify(news, { headline: 'typed' })).toEqual({ sent: 2, behind: [] });
    await waitFor(() => a!.heard.length === 1 && b!.heard.length === 1, 'both told');
    // @ts-expect-error: the value is typed by the notification's schema
    await expect(server.to('readers').notify(news, { headline: 1 })).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});

/** A raw TCP client that sends its version, joins `group` and then never reads. */
function nonReader(server: Server, group: string): Promise<Socket> {
  const port = Number(new URL(server.addresses[0]!.replace('tcp:', 'http:')).port);
  const join = new TextEncoder().encode(JSON.stringify(group));
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    cleanup.add(() => socket.destroy());
    socket.on('error', () => {});
    socket.once('error', reject);
    socket.once('connect', () => {
      // the version, then a request `join` (id 0001) with the group's JSON as payload
      socket.write(`01r0001004join${join.length.toString(16).padStart(8, '0')}`);
      socket.write(join);
      socket.pause();
      resolve(socket);
    });
  });
}

describe('a member that does not read', () => {
  const payload = new Uint8Array(64 * 1024);
  const MAX_UNSENT = 256 * 1024;

  /** Broadcasts 64 KiB notifications to `group` until the non-reader is left out; the highest `unsent` seen on it. */
  async function flood(server: Server, group: string, stuck: Connection): Promise<{ maxUnsent: number; rounds: number }> {
    let maxUnsent = 0;
    for (let round = 1; round <= 2000; round++) {
      const report = server.to(group).notifyBytes('news', payload);
      maxUnsent = Math.max(maxUnsent, stuck.unsent ?? 0);
      if (report.behind.includes(stuck)) return { maxUnsent, rounds: round };
      await new Promise((r) => setImmediate(r)); // the batch goes out, the readers read
    }
    throw new Error('the non-reader was never left out');
  }

  it("is left out and closed with MEMBER_BEHIND (behind: 'close'): the server never holds more than maxUnsent and one message for it", async () => {
    const server = await groupServer({ broadcast: { maxUnsent: MAX_UNSENT } });
    const reader = await member(server, 1);
    await reader.peer.request('join', 'feed');
    await nonReader(server, 'feed');
    await waitFor(() => server.groups.size('feed') === 2, 'the non-reader in the group');
    const stuck = server.groups.members('feed')[1]!;
    const closed = (stuck as Peer).closed;
    const { maxUnsent, rounds } = await flood(server, 'feed', stuck);
    expect(maxUnsent).toBeLessThanOrEqual(MAX_UNSENT + payload.length + 64);
    const info = await closed;
    expect(info.error).toMatchObject({ code: 'MEMBER_BEHIND' });
    expect(server.groups.members('feed')).toHaveLength(1); // it left by itself
    expect(rounds).toBeGreaterThan(1);
    expect(reader.peer.open).toBe(true);
  });

  it("with behind: 'skip' it stays connected and is only passed over", async () => {
    const server = await groupServer({ broadcast: { maxUnsent: MAX_UNSENT, behind: 'skip' } });
    const reader = await member(server, 0);
    await reader.peer.request('join', 'feed');
    await nonReader(server, 'feed');
    await waitFor(() => server.groups.size('feed') === 2, 'the non-reader in the group');
    const stuck = server.groups.members('feed')[1]!;
    const { maxUnsent } = await flood(server, 'feed', stuck);
    expect(maxUnsent).toBeLessThanOrEqual(MAX_UNSENT + payload.length + 64);
    expect(stuck.open).toBe(true);
    const again = server.to('feed').notifyBytes('news', payload);
    expect(again.behind).toEqual([stuck]);
    expect(again.sent).toBe(1);
    // A gather leaves it out the same way, as its entry's MEMBER_BEHIND.
    reader.peer.handlers.handle('ping', () => 'pong');
    const answers = await server.to('feed').gather('ping', null, { timeout: 2000 });
    expect(answers.map((a) => (a.ok ? a.value : (a.error as RemoteError).code))).toEqual(['pong', 'MEMBER_BEHIND']);
    await delay(10);
  });
});
