// The demo's operations, shared by every connection of the demo server.
import { defineOperation, type Peer, type Server } from '@gotalk/node';
import { z } from 'zod';

/** `greet`: typed with zod, validated on the way in and out. */
export const greet = defineOperation('greet', {
  input: z.object({ name: z.string().min(1).max(60) }),
  output: z.object({ greeting: z.string(), servedBy: z.string() }),
});

const isPage = (peer: Peer) => peer.info?.kind === 'ws';

/** A roster of who is connected, with each side's heartbeat load. */
function roster(server: Server) {
  return [...server.peers].map((peer) => ({
    kind: peer.info?.kind ?? '?',
    remote: String(peer.info?.remote ?? ''),
    name: typeof peer.data === 'object' && peer.data ? String((peer.data as { name?: string }).name ?? '') : '',
    load: peer.remoteHeartbeat?.load ?? null,
    inFlight: peer.inFlight,
  }));
}

function broadcast(server: Server, name: string, value: unknown, filter: (p: Peer) => boolean = isPage): void {
  for (const peer of server.peers) if (filter(peer) && peer.open) peer.notify(name, value);
}

/** Registers the demo's ops and notifications on `server`'s shared handlers. */
export function installDemoHandlers(server: Server): void {
  const h = server.handlers;

  h.implement(greet, ({ name }, ctx) => ({ greeting: `Hello ${name}!`, servedBy: `gotalk-ts over ${ctx.peer.info?.kind ?? '?'}` }));

  h.handle('echo', (value) => value);

  h.handle('hello', (value, ctx) => {
    const name = String((value as { name?: unknown } | null)?.name ?? '').slice(0, 40);
    ctx.peer.data = { name };
    broadcast(server, 'roster', roster(server));
    return { you: name, peers: roster(server) };
  });

  // Server → browser: ask every open page, gather the answers (pages have 5 s to reply).
  h.handle('ask-pages', async (question) => {
    const pages = [...server.peers].filter(isPage);
    const answers = await Promise.all(
      pages.map(async (peer) => {
        const name = (peer.data as { name?: string } | undefined)?.name ?? 'anonymous';
        const started = Date.now();
        try {
          const answer = await peer.request('ask', question ?? 'How are you?', { timeout: 5000 });
          return { page: name, answer, ms: Date.now() - started };
        } catch (err) {
          return { page: name, error: (err as Error).message, ms: Date.now() - started };
        }
      }),
    );
    broadcast(server, 'answers', { question, answers });
    return answers;
  });

  // A streamed result with progress: find the primes below `limit`, reporting as it goes.
  h.handleStream('primes', async function* (parts, ctx) {
    let input = '';
    for await (const p of parts) input += new TextDecoder().decode(p);
    const limit = Math.min(Math.max(Number(JSON.parse(input || '200000')) || 200000, 10), 5_000_000);
    const sieve = new Uint8Array(limit + 1);
    let found = 0;
    let last = 0;
    const step = Math.ceil(limit / 50);
    for (let i = 2; i <= limit; i++) {
      if (ctx.signal.aborted) return;
      if (!sieve[i]) {
        found++;
        last = i;
        for (let j = i * i; j <= limit; j += i) sieve[j] = 1;
      }
      if (i % step === 0 || i === limit) {
        yield new TextEncoder().encode(JSON.stringify({ done: i, total: limit, found, last }));
        await new Promise((r) => setTimeout(r, 30)); // slow enough to watch
      }
    }
  });

  h.handle('roster', () => roster(server));

  // Where else this server listens, for the page's hint of what to try from a terminal.
  h.handle('addresses', () => server.addresses);

  // Notifications: chat from any page or the CLI goes to every page.
  h.onNotification('chat', (value, ctx) => {
    const msg = value as { from?: unknown; text?: unknown } | null;
    const text = String(msg?.text ?? '').slice(0, 500);
    if (!text) return;
    const from = String(msg?.from ?? (ctx.peer.data as { name?: string } | undefined)?.name ?? ctx.peer.info?.kind ?? '?').slice(0, 40);
    broadcast(server, 'chat', { from, text, via: ctx.peer.info?.kind ?? '?', at: Date.now() });
  });

  h.onNotification('ping', (value, ctx) => ctx.peer.notify('pong', value));

  server.on('connection', () => setTimeout(() => broadcast(server, 'roster', roster(server)), 50));
  server.on('disconnect', () => broadcast(server, 'roster', roster(server)));
  const ticker = setInterval(() => broadcast(server, 'roster', roster(server)), 1000);
  ticker.unref();
}
