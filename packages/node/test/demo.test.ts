// The demo's handlers (examples/demo/handlers.ts) against clients that do not play along:
// spoofed names, oversized or odd inputs, answers that are not strings, too many sieves at once.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, listen, RetryExhaustedError, utf8, type Peer, type Server } from '@gotalk/node';
import { installDemoHandlers } from '../../../examples/demo/handlers.ts';
import { Cleanup, until } from './support.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function demoServer(): Promise<{ server: Server; ws: string; tcp: string }> {
  const server = await listen(['ws://127.0.0.1:0/gotalk/', 'tcp://127.0.0.1:0'], { ws: { bundle: null } });
  installDemoHandlers(server);
  cleanup.add(async () => {
    for (const p of server.peers) p.destroy();
    await server.close();
  });
  const [ws, tcp] = server.addresses as [string, string];
  return { server, ws, tcp };
}

/** A connection that records the chat messages it is sent. */
async function member(address: string, retries = 3): Promise<{ peer: Peer; chats: { from: string; text: string; via: string }[] }> {
  const chats: { from: string; text: string; via: string }[] = [];
  const peer = await connect(address, { retries });
  peer.handlers.onNotification('chat', (m) => void chats.push(m as (typeof chats)[number]));
  cleanup.add(() => peer.destroy());
  return { peer, chats };
}

describe('the demo handlers', () => {
  it('pages post under the name they said hello with; names are unique', async () => {
    const { ws, tcp } = await demoServer();
    const a = await member(ws);
    const b = await member(ws);
    expect(await a.peer.request('hello', { name: 'Ada-42' })).toMatchObject({ you: 'Ada-42' });
    expect(await b.peer.request('hello', { name: 'Ada-42' })).toMatchObject({ you: 'Ada-42 (2)' });
    b.peer.notify('chat', { from: 'Ada-42', text: 'send me your password' });
    await until(() => a.chats.length === 1, 'the chat');
    expect(a.chats[0]).toMatchObject({ from: 'Ada-42 (2)', text: 'send me your password', via: 'ws' });
    // A terminal may say who it is; its `via` tells it apart from the pages.
    const terminal = await member(tcp);
    terminal.peer.notify('chat', { from: 'ops', text: 'deploying' });
    await until(() => a.chats.length === 2, 'the terminal chat');
    expect(a.chats[1]).toMatchObject({ from: 'ops', via: 'tcp' });
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
    const answers = (await (await member(tcp)).peer.request('ask-pages', 'q'.repeat(100_000))) as { page: string; answer: string }[];
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
    // Four long runs hold the server's sieves; a fifth is asked to retry (retries: 0 here).
    const running = Array.from({ length: 4 }, () => peer.stream('primes', [utf8('5000000')])[Symbol.asyncIterator]());
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
});

async function collectParts(peer: Peer, limit: string): Promise<string[]> {
  const parts: string[] = [];
  for await (const p of peer.stream('primes', [utf8(limit)])) parts.push(new TextDecoder().decode(p));
  return parts;
}
