// The demo's handlers (examples/demo/handlers.ts) against clients that do not play along:
// spoofed names, oversized or odd inputs, answers that are not strings, too many sieves at once;
// and the cost of strangers: idle connections, pages that stop reading, floods.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, listen, RetryExhaustedError, utf8, type Peer, type Server } from '@gotalk/node';
import { PRIMES } from '../../../examples/demo/contract.ts';
import { demoPeerOptions, installDemoHandlers, PRIMES_RETRY_WAIT, type DemoOptions } from '../../../examples/demo/handlers.ts';
import { QuietLog } from '../../../examples/demo/quiet-log.ts';
import { helloFrames, stopAfterHello, upgrade, wsFrame } from '../../../examples/demo/raw-ws.ts';
import { Cleanup, deferred, delay, waitFor } from '@gotalk/test-kit';
import { hostPort, type RawConnection, rawSocket, rawWebSocket } from './support.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function demoServer(options: DemoOptions = {}): Promise<{ server: Server; ws: string; tcp: string }> {
  const server = await listen(['ws://127.0.0.1:0/gotalk/', 'tcp://127.0.0.1:0'], { ws: { bundle: null }, ...demoPeerOptions });
  installDemoHandlers(server, options);
  cleanup.add(async () => {
    for (const p of server.peers) p.destroy();
    await server.close();
  });
  const [ws, tcp] = server.addresses as [string, string];
  return { server, ws, tcp };
}

type Chat = { from: string; text: string; via: string };

/** A connection that records the chat messages and every notification it is sent. */
async function member(address: string, retries = 3): Promise<{ peer: Peer; chats: Chat[]; notes: { name: string; value: unknown }[] }> {
  const chats: Chat[] = [];
  const notes: { name: string; value: unknown }[] = [];
  const peer = await connect(address, { retries });
  peer.handlers.onNotification('chat', (m) => void chats.push(m as Chat));
  for (const name of ['roster', 'roster-changes', 'answers']) peer.handlers.onNotification(name, (value) => void notes.push({ name, value }));
  peer.onActivity((e) => {
    if (e.type === 'notification' && e.dir === 'in' && !['chat', 'roster', 'roster-changes', 'answers'].includes(e.name))
      notes.push({ name: e.name, value: null });
  });
  cleanup.add(() => peer.destroy());
  return { peer, chats, notes };
}

/** The server's side of the connection that `connectIt` makes. */
async function serverSideOf<T>(server: Server, connectIt: () => Promise<T>): Promise<{ client: T; peer: Peer }> {
  const before = new Set(server.peers);
  const client = await connectIt();
  await waitFor(() => [...server.peers].some((p) => !before.has(p)), 'the server side of the connection');
  return { client, peer: [...server.peers].find((p) => !before.has(p))! };
}

describe('the demo handlers', () => {
  it('pages post under the name they said hello with; names are unique', async () => {
    const { ws, tcp } = await demoServer();
    const a = await member(ws);
    const b = await member(ws);
    expect(await a.peer.request('hello', { name: 'Ada-42' })).toMatchObject({ you: 'Ada-42' });
    expect(await b.peer.request('hello', { name: 'Ada-42' })).toMatchObject({ you: 'Ada-42 (2)' });
    b.peer.notify('chat', { from: 'Ada-42', text: 'send me your password' });
    await waitFor(() => a.chats.length === 1, 'the chat');
    expect(a.chats[0]).toMatchObject({ from: 'Ada-42 (2)', text: 'send me your password', via: 'ws' });
    // A terminal may say who it is; its `via` tells it apart from the pages.
    const terminal = await member(tcp);
    terminal.peer.notify('chat', { from: 'ops', text: 'deploying' });
    await waitFor(() => a.chats.length === 2, 'the terminal chat');
    expect(a.chats[1]).toMatchObject({ from: 'ops', via: 'tcp' });
  });

  it('a name is numbered up to (20); past that it is refused, at a bounded cost', async () => {
    const { tcp } = await demoServer();
    const peers = await Promise.all(Array.from({ length: 21 }, () => member(tcp)));
    const names: string[] = [];
    for (const { peer } of peers.slice(0, 20)) names.push(((await peer.request('hello', { name: 'x' })) as { you: string }).you);
    expect(names).toEqual(['x', ...Array.from({ length: 19 }, (_, i) => `x (${i + 2})`)]);
    await expect(peers[20]!.peer.request('hello', { name: 'x' })).rejects.toMatchObject({ code: 'REMOTE_ERROR' });
  });

  it('ask-pages relays a short question and shows every answer as a short string', async () => {
    const { ws, tcp } = await demoServer();
    const polite = await member(ws);
    const hostile = await member(ws);
    await polite.peer.request('hello', { name: 'polite' });
    await hostile.peer.request('hello', { name: 'hostile' });
    const asked: unknown[] = [];
    polite.peer.handlers.handle('ask', (q) => (asked.push(q), 'fine'));
    hostile.peer.handlers.handle('ask', () => ({ toString: 0, nested: 'x'.repeat(10_000) }));
    const answers = (await (await member(tcp)).peer.request('ask-pages', 'q'.repeat(60_000))) as { page: string; answer: string }[];
    expect(asked).toEqual(['q'.repeat(200)]);
    expect(answers.find((a) => a.page === 'polite')?.answer).toBe('fine');
    const odd = answers.find((a) => a.page === 'hostile')!.answer;
    expect(typeof odd).toBe('string');
    expect(odd.length).toBeLessThanOrEqual(200);
    expect(odd.startsWith('{"toString":0')).toBe(true);
  });

  it('primes refuses more than one small number of input, and runs only a few sieves at once', async () => {
    const { tcp } = await demoServer();
    const { peer } = await member(tcp, 0);
    await expect(peer.stream('primes', [utf8('1'.repeat(20)), utf8('2'.repeat(20))]).collect()).rejects.toMatchObject({
      code: 'REMOTE_ERROR',
      message: 'primes takes one number, the limit',
    });
    // Four long runs (from four connections) hold the server's sieves; a fifth is asked to retry (retries: 0 here).
    const runners = await Promise.all(Array.from({ length: 4 }, () => member(tcp, 0)));
    const running = runners.map((r) => r.peer.stream('primes', [utf8('5000000')])[Symbol.asyncIterator]());
    await Promise.all(running.map((r) => r.next()));
    const fifth = await peer
      .stream('primes', [utf8('100')])
      .collect()
      .catch((e: unknown) => e);
    expect(fifth).toBeInstanceOf(RetryExhaustedError);
    expect((fifth as Error).message).toContain('the server is busy finding primes');
    // The runs go on on the server (Gotalk has no cancel) until they end, about 1.5 s each;
    // a caller that accepts retries gets its turn then.
    await Promise.all(running.map((r) => r.return?.()));
    const patient = await member(tcp, 40);
    const parts = await collectParts(patient.peer, '1000');
    expect(JSON.parse(parts.at(-1)!)).toMatchObject({ done: 1000, total: 1000, found: 168, last: 997 });
  }, 30_000);

  it("a fifth run while four hold the sieves gets its turn within the page's retry budget", async () => {
    const { tcp } = await demoServer();
    const runners = await Promise.all(Array.from({ length: 4 }, () => member(tcp, 0)));
    const running = runners.map((r) => r.peer.stream('primes', [utf8(String(PRIMES.max))])[Symbol.asyncIterator]());
    await Promise.all(running.map((r) => r.next())); // all four are sieving
    // The page's budget: PRIMES.retries retries, each after the server's PRIMES_RETRY_WAIT.
    const fifth = await member(tcp, PRIMES.retries);
    let retried = 0;
    fifth.peer.onActivity((e) => void (e.type === 'reply' && e.kind === 'retry' && retried++));
    const parts = await collectParts(fifth.peer, '1000');
    expect(JSON.parse(parts.at(-1)!)).toMatchObject({ done: 1000, found: 168 });
    expect(retried, 'it was asked to wait at least once').toBeGreaterThan(0);
    expect(PRIMES.retries * PRIMES_RETRY_WAIT, 'the budget outlasts two full runs ahead of it').toBeGreaterThan(2 * 2000);
    await Promise.all(
      running.map(async (r) => {
        while (!(await r.next()).done);
      }),
    );
  }, 60_000);

  it('a terminal that never says hello (gotalk listen) gets the chat too', async () => {
    const { ws, tcp } = await demoServer();
    const page = await member(ws);
    await page.peer.request('hello', { name: 'page' });
    const terminal = await member(tcp);
    await page.peer.request('chat', { text: 'hello terminals' });
    await waitFor(() => terminal.chats.length === 1, 'the chat at the terminal');
    expect(terminal.chats[0]).toMatchObject({ from: 'page', text: 'hello terminals', via: 'ws' });
  });
});

describe('the demo facing strangers', () => {
  it('idle connections are not pages: not counted, not listed, and they cause no broadcasts', async () => {
    const { server, ws, tcp } = await demoServer();
    const page = await member(ws);
    const greeting = (await page.peer.request('hello', { name: 'page' })) as { you: string; peers: unknown[]; count: number };
    expect(greeting).toMatchObject({ you: 'page', count: 1, peers: [{ name: 'page', kind: 'ws' }] });
    // Its own arrival comes as a change too (to every page, itself included).
    await waitFor(() => page.notes.length === 1, 'the change of the hello');
    expect(page.notes.splice(0)).toEqual([{ name: 'roster-changes', value: { joined: [{ name: 'page', kind: 'ws' }], left: [], count: 1 } }]);
    // 200 connections that send nothing, or only the version: half WebSocket, half TCP.
    const idle: RawConnection[] = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const c = i % 2 ? await rawWebSocket(ws) : await rawSocket(hostPort(tcp.replace('tcp:', 'http:')));
        if (i % 4 < 2) await c.write('01');
        return c;
      }),
    );
    cleanup.add(() => idle.forEach((c) => c.close()));
    await waitFor(() => server.peers.size === 201, 'the idle connections', 15_000);
    await delay(1500); // what the demo once sent every second, on every connect
    expect(page.notes).toEqual([]);
    expect(await page.peer.request('roster')).toMatchObject({ count: 1 });
    // A page that says hello is announced once, as a change; so is its leaving.
    const other = await member(ws);
    await other.peer.request('hello', { name: 'other' });
    await waitFor(() => page.notes.length > 0, 'the join');
    expect(page.notes).toEqual([{ name: 'roster-changes', value: { joined: [{ name: 'other', kind: 'ws' }], left: [], count: 2 } }]);
    for (const c of idle) c.close();
    other.peer.destroy();
    await waitFor(() => page.notes.length > 1, 'the leave');
    await waitFor(() => server.peers.size === 1, 'the idle connections closed', 15_000);
    await delay(500);
    expect(page.notes.slice(1)).toEqual([{ name: 'roster-changes', value: { joined: [], left: ['other'], count: 1 } }]);
  }, 40_000);

  it('a new page gets the first 50 of the roster and the count; a burst of joins reaches a page as a few changes', async () => {
    const { tcp } = await demoServer();
    const first = await member(tcp);
    await first.peer.request('hello', { name: 'first' });
    const crowd = await Promise.all(Array.from({ length: 80 }, () => member(tcp)));
    await Promise.all(crowd.map((c, i) => c.peer.request('hello', { name: `p${i}` })));
    const late = await member(tcp);
    const greeting = (await late.peer.request('hello', { name: 'late' })) as { peers: { name: string }[]; count: number };
    expect(greeting.count).toBe(82);
    // The first 50 to say hello (the others said it at once, in any order).
    expect(greeting.peers).toHaveLength(50);
    expect(greeting.peers[0]!.name).toBe('first');
    expect(new Set(greeting.peers.map((p) => p.name)).size).toBe(50);
    await waitFor(() => first.notes.some((n) => (n.value as { count?: number }).count === 82), 'the last change');
    // 81 joins in a burst: each change notification costs the same whatever their number.
    expect(first.notes.length).toBeLessThanOrEqual(10);
    for (const n of first.notes) expect(JSON.stringify(n.value).length).toBeLessThan(4000);
  }, 30_000);

  it('a page that stops reading is dropped, while the others keep getting every message', async () => {
    const flood = { burst: 1_000_000, perSecond: 1_000_000 };
    const { server, ws, tcp } = await demoServer({ chat: flood, roomChat: flood });
    const reader = await member(ws);
    await reader.peer.request('hello', { name: 'reader' });
    const { client: socket, peer: stalled } = await serverSideOf(server, async () => (await upgrade(new URL(ws)))!);
    cleanup.add(() => socket.destroy());
    socket.write(wsFrame(helloFrames('stalled')));
    expect(await stopAfterHello(socket)).toBe(true);
    const terminal = await member(tcp);
    const line = 'x'.repeat(500);
    let sent = 0;
    // Batches of lines until the page that does not read is gone (its socket buffers fill first:
    // a few MiB), each read in full by the page that does; at most 40 MiB in all.
    while (stalled.open && sent < 80_000) {
      for (let i = 0; i < 500; i++) terminal.peer.notify('chat', { text: line });
      sent += 500;
      await waitFor(() => reader.chats.length === sent, `${sent} lines read`, 20_000);
    }
    expect(stalled.open).toBe(false);
    expect((await stalled.closed).reason).toMatch(/^(destroyed|transport)$/);
    for (let i = 0; i < 10; i++) terminal.peer.notify('chat', { text: `after ${i}` });
    await waitFor(() => reader.chats.length === sent + 10, 'the lines after the drop', 20_000);
    expect(await reader.peer.request('roster')).toMatchObject({ count: 1 });
  }, 90_000);

  it('one connection runs one sieve at a time; another connection still may', async () => {
    const { tcp } = await demoServer();
    const a = await member(tcp, 0);
    const b = await member(tcp, 0);
    const running = a.peer.stream('primes', [utf8('5000000')])[Symbol.asyncIterator]();
    await running.next();
    await expect(a.peer.stream('primes', [utf8('100')]).collect()).rejects.toMatchObject({ code: 'REMOTE_ERROR' });
    const parts = await collectParts(b.peer, '1000');
    expect(JSON.parse(parts.at(-1)!)).toMatchObject({ found: 168 });
    await running.return?.();
  }, 30_000);

  it('one connection asks the pages one question at a time', async () => {
    const { ws, tcp } = await demoServer();
    const page = await member(ws);
    await page.peer.request('hello', { name: 'slow' });
    const answer = deferred<string>();
    page.peer.handlers.handle('ask', () => answer.promise);
    const asker = await member(tcp, 0);
    const first = asker.peer.request('ask-pages', 'first?');
    await waitFor(() => asker.peer.inFlight === 1, 'the first question out');
    await delay(100);
    await expect(asker.peer.request('ask-pages', 'second?')).rejects.toMatchObject({ code: 'REMOTE_ERROR' });
    answer.resolve('done');
    expect(await first).toEqual([expect.objectContaining({ page: 'slow', answer: 'done' })]);
  }, 30_000);

  it('chat is rate limited per connection: past the limit, an error result (a notification is dropped)', async () => {
    const { ws, tcp } = await demoServer();
    const reader = await member(ws);
    await reader.peer.request('hello', { name: 'reader' });
    const page = await member(ws);
    await page.peer.request('hello', { name: 'flooder' });
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => page.peer.request('chat', { text: `line ${i}` })));
    const seconds = (performance.now() - started) / 1000;
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected');
    // A burst of 8, then 2 a second.
    expect(accepted).toBeGreaterThanOrEqual(8);
    expect(accepted).toBeLessThanOrEqual(8 + Math.ceil(2 * seconds) + 1);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'REMOTE_ERROR' });
    // Notifications from a terminal: past the limit they are dropped.
    const terminal = await member(tcp);
    const t0 = performance.now();
    for (let i = 0; i < 40; i++) terminal.peer.notify('chat', { text: `note ${i}` });
    expect(await terminal.peer.request('echo', 'sync')).toBe('sync');
    const noteSeconds = (performance.now() - t0) / 1000;
    const count = (prefix: string) => reader.chats.filter((c) => c.text.startsWith(prefix)).length;
    await waitFor(() => count('line') === accepted && count('note') >= 8, 'the lines let through');
    await delay(300); // any more would have arrived by now
    expect(count('note')).toBeLessThanOrEqual(8 + Math.ceil(2 * noteSeconds) + 1);
    expect(count('line')).toBe(accepted);
  });

  it('the terminal log prints a burst of connection lines, then counts the rest in one line', async () => {
    const lines: string[] = [];
    const log = new QuietLog(
      (l) => lines.push(l),
      () => ' (3 open)',
    );
    for (let i = 0; i < 500; i++) log.line(`+ ${i}`);
    expect(lines.length).toBeLessThanOrEqual(21);
    await waitFor(() => lines.some((l) => l.startsWith('…')), 'the count of lines not shown', 10_000);
    const untold = Number(/… and (\d+) more/.exec(lines.at(-1)!)?.[1]);
    expect(lines.length - 1 + untold).toBe(500);
    expect(lines.at(-1)).toContain('(3 open)');
  });
});

async function collectParts(peer: Peer, limit: string): Promise<string[]> {
  const parts: string[] = [];
  for await (const p of peer.stream('primes', [utf8(limit)])) parts.push(new TextDecoder().decode(p));
  return parts;
}
