// The demo's operations, shared by every connection of the demo server.
import { defineOperation, type Peer, type Server } from '@gotalk/node';
import { z } from 'zod';

/** `greet`: typed with zod, validated on the way in and out. */
export const greet = defineOperation('greet', {
  input: z.object({ name: z.string().min(1).max(60) }),
  output: z.object({ greeting: z.string(), servedBy: z.string() }),
});

const isPage = (peer: Peer) => peer.info?.kind === 'ws';

const MAX_QUESTION = 200;
const MAX_ANSWER = 200;
const MAX_PRIMES_RUNS = 4;

/** `value` as a string of at most `max` characters: strings as they are, anything else as JSON. */
function text(value: unknown, max: number): string {
  if (typeof value === 'string') return value.slice(0, max);
  try {
    return (JSON.stringify(value) ?? '').slice(0, max);
  } catch {
    return '';
  }
}

/** The name a peer said hello with ('' before that). */
function nameOf(peer: Peer): string {
  const data = peer.data as { name?: unknown } | undefined;
  return typeof data?.name === 'string' ? data.name : '';
}

/** `wanted`, or `wanted (2)`, `wanted (3)`… so that no two connections share a name. */
function uniqueName(server: Server, self: Peer, wanted: string): string {
  const base = wanted || 'anonymous';
  const taken = new Set([...server.peers].filter((p) => p !== self).map(nameOf));
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base} (${n})`;
  return name;
}

/** A roster of who is connected, with each side's heartbeat load. */
function roster(server: Server) {
  return [...server.peers].map((peer) => ({
    kind: peer.info?.kind ?? '?',
    remote: String(peer.info?.remote ?? ''),
    name: nameOf(peer),
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
    const name = uniqueName(server, ctx.peer, text((value as { name?: unknown } | null)?.name, 40));
    ctx.peer.data = { name };
    broadcast(server, 'roster', roster(server));
    return { you: name, peers: roster(server) };
  });

  // Server → browser: ask every open page, gather the answers (pages have 5 s to reply).
  h.handle('ask-pages', async (value) => {
    // The question goes to every page: only a short string is relayed.
    const question = text(value, MAX_QUESTION) || 'How are you?';
    const pages = [...server.peers].filter(isPage);
    const answers = await Promise.all(
      pages.map(async (peer) => {
        const name = nameOf(peer) || 'anonymous';
        const started = Date.now();
        try {
          // Whatever a page answers, the others are shown a short string.
          const answer = text(await peer.request('ask', question, { timeout: 5000 }), MAX_ANSWER);
          return { page: name, answer, ms: Date.now() - started };
        } catch (err) {
          return { page: name, error: text((err as Error).message, MAX_ANSWER), ms: Date.now() - started };
        }
      }),
    );
    broadcast(server, 'answers', { question, answers });
    return answers;
  });

  // A streamed result with progress: find the primes below `limit`, reporting as it goes.
  // Each run holds a sieve of up to 5 MB: a few at a time, the rest are asked to retry.
  let running = 0;
  h.handleStream('primes', async function* (parts, ctx) {
    let input = '';
    for await (const p of parts) {
      if (input.length + p.length > 32) throw new Error('primes takes one number, the limit');
      input += new TextDecoder().decode(p);
    }
    if (running >= MAX_PRIMES_RUNS) ctx.retry(250, 'the server is busy finding primes');
    running++;
    try {
      yield* sieve(Number(input.trim() || '200000'), ctx.signal);
    } finally {
      running--;
    }
  });

  h.handle('roster', () => roster(server));

  // Where else this server listens, for the page's hint of what to try from a terminal.
  h.handle('addresses', () => server.addresses);

  // Notifications: chat from any page or the CLI goes to every page.
  h.onNotification('chat', (value, ctx) => {
    const msg = value as { from?: unknown; text?: unknown } | null;
    const said = text(msg?.text, 500);
    if (!said) return;
    // A page posts under the name it said hello with; a terminal may say who it is (its `via`
    // tag shows it is not a page).
    const from = isPage(ctx.peer) ? nameOf(ctx.peer) || 'anonymous' : text(msg?.from, 40) || (ctx.peer.info?.kind ?? '?');
    broadcast(server, 'chat', { from, text: said, via: ctx.peer.info?.kind ?? '?', at: Date.now() });
  });

  h.onNotification('ping', (value, ctx) => ctx.peer.notify('pong', value));

  server.on('connection', () => setTimeout(() => broadcast(server, 'roster', roster(server)), 50));
  server.on('disconnect', () => broadcast(server, 'roster', roster(server)));
  const ticker = setInterval(() => broadcast(server, 'roster', roster(server)), 1000);
  ticker.unref();
}

/** The primes up to `requested` (clamped to 10..5,000,000), as progress parts, slow enough to watch. */
async function* sieve(requested: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const limit = Math.min(Math.max(Math.floor(requested) || 200000, 10), 5_000_000);
  const composite = new Uint8Array(limit + 1);
  let found = 0;
  let last = 0;
  const step = Math.ceil(limit / 50);
  for (let i = 2; i <= limit; i++) {
    if (signal.aborted) return;
    if (!composite[i]) {
      found++;
      last = i;
      for (let j = i * i; j <= limit; j += i) composite[j] = 1;
    }
    if (i % step === 0 || i === limit) {
      yield new TextEncoder().encode(JSON.stringify({ done: i, total: limit, found, last }));
      await new Promise((r) => setTimeout(r, 30)); // slow enough to watch
    }
  }
}
