// The demo's operations, shared by every connection of the demo server. The demo faces strangers:
// every operation's cost is bounded per call, and what one connection may ask for is limited.
import { defineOperation, type Connection, type Server, type ServerOptions } from '@gotalk/node';
import { z } from 'zod';
import { PAGES, Room, type RoomOptions } from './room.ts';
import { TokenBucket } from './token-bucket.ts';

/** `greet`: typed with zod, validated on the way in and out. */
export const greet = defineOperation('greet', {
  input: z.object({ name: z.string().min(1).max(60) }),
  output: z.object({ greeting: z.string(), servedBy: z.string() }),
});

/**
 * The peer options of the demo's server: small limits for what its operations need (its largest
 * payload is a roster or a list of answers, a few KiB), and a connection that does not read is
 * closed past 1 MiB of unsent replies; a page is left out of broadcasts and closed once 256 KiB
 * sent to it are unread.
 */
export const demoPeerOptions = {
  heartbeatInterval: 1000,
  limits: { maxPayload: 64 * 1024, maxRequests: 64, maxStreams: 4, streamBuffer: 64 * 1024, maxBacklog: 1024 * 1024 },
  broadcast: { maxUnsent: 256 * 1024 },
} satisfies ServerOptions;

/** The demo's settings; every field has a default. */
export interface DemoOptions extends RoomOptions {
  /** Chat lines (and questions to the pages) one connection may send: a burst, then so many a second (default 8, 2/s). */
  readonly chat?: { readonly burst: number; readonly perSecond: number };
  /** The same for all connections together (default 40, 20/s). */
  readonly roomChat?: { readonly burst: number; readonly perSecond: number };
}

const MAX_QUESTION = 200;
const MAX_ANSWER = 200;
const MAX_CHAT = 500;
/** Sieves held at once by the whole server (each up to 5 MB). */
const MAX_PRIMES_RUNS = 4;
/** `ask-pages` calls in progress at once, server-wide. */
const MAX_ASKS = 2;

/** What the demo keeps per connection: its chat budget and whether it has a sieve or a question out. */
interface ClientState {
  readonly chat: TokenBucket;
  primes: boolean;
  asking: boolean;
}

/** `value` as a string of at most `max` characters: strings as they are, anything else as JSON. */
function text(value: unknown, max: number): string {
  if (typeof value === 'string') return value.slice(0, max);
  try {
    return (JSON.stringify(value) ?? '').slice(0, max);
  } catch {
    return '';
  }
}

/** Registers the demo's ops and notifications on `server`'s shared handlers. */
export function installDemoHandlers(server: Server, options: DemoOptions = {}): void {
  const h = server.handlers;
  const room = new Room(server, options);
  const chatRate = options.chat ?? { burst: 8, perSecond: 2 };
  const roomRate = options.roomChat ?? { burst: 40, perSecond: 20 };
  const roomChat = new TokenBucket(roomRate.burst, roomRate.perSecond);
  const clients = new WeakMap<Connection, ClientState>();
  const clientOf = (peer: Connection): ClientState => {
    let c = clients.get(peer);
    if (!c) clients.set(peer, (c = { chat: new TokenBucket(chatRate.burst, chatRate.perSecond), primes: false, asking: false }));
    return c;
  };
  /** Takes a token for something that goes to every page; throws the error result past the limit. */
  const spend = (peer: Connection): void => {
    if (!clientOf(peer).chat.take()) throw new Error(`too many messages from this connection: at most ${chatRate.perSecond} a second`);
    if (!roomChat.take()) throw new Error('too many messages in the room right now: try again in a moment');
  };
  server.on('disconnect', (peer) => room.leave(peer));

  h.implement(greet, ({ name }, ctx) => ({ greeting: `Hello ${name}!`, servedBy: `gotalk-ts over ${ctx.peer.info?.kind ?? '?'}` }));

  h.handle('echo', (value) => value);

  // A connection becomes a page by saying hello: only then is it counted, shown and sent broadcasts.
  h.handle('hello', (value, ctx) => {
    const name = room.join(ctx.peer, text((value as { name?: unknown } | null)?.name, 40));
    if (name === null) throw new Error('that name is taken: pick another');
    return { you: name, ...room.roster() };
  });

  h.handle('roster', () => room.roster());

  // Server → browser: ask every page, gather the answers (pages have 5 s to reply, one deadline for all).
  let asking = 0;
  h.handle('ask-pages', async (value, ctx) => {
    const client = clientOf(ctx.peer);
    if (client.asking) throw new Error('this connection is already asking the pages');
    if (asking >= MAX_ASKS) ctx.retry(1000, 'the pages are being asked already');
    spend(ctx.peer);
    // The question goes to every page: only a short string is relayed.
    const question = text(value, MAX_QUESTION) || 'How are you?';
    client.asking = true;
    asking++;
    try {
      const gathered = await server.to(PAGES).gather('ask', question, { timeout: 5000 });
      const answers = gathered.map((g) => {
        const page = room.nameOf(g.member) ?? 'anonymous';
        const ms = Math.round(g.ms);
        return g.ok ? { page, answer: text(g.value, MAX_ANSWER), ms } : { page, error: text(g.error.message, MAX_ANSWER), ms };
      });
      // Every page is asked; the first `shown` answers are shown (to the caller and to every page).
      const shown = answers.slice(0, room.shown);
      room.broadcast('answers', { question, answers: shown, count: answers.length });
      return shown;
    } finally {
      client.asking = false;
      asking--;
    }
  });

  // A streamed result with progress: find the primes below `limit`, reporting as it goes.
  // Each run holds a sieve of up to 5 MB: one per connection, a few at a time, the rest retry.
  let running = 0;
  h.handleStream('primes', async function* (parts, ctx) {
    let input = '';
    for await (const p of parts) {
      if (input.length + p.length > 32) throw new Error('primes takes one number, the limit');
      input += new TextDecoder().decode(p);
    }
    const client = clientOf(ctx.peer);
    if (client.primes) throw new Error('one primes run at a time per connection');
    if (running >= MAX_PRIMES_RUNS) ctx.retry(250, 'the server is busy finding primes');
    running++;
    client.primes = true;
    try {
      yield* sieve(Number(input.trim() || '200000'), ctx.signal);
    } finally {
      running--;
      client.primes = false;
    }
  });

  // Where else this server listens, for the page's hint of what to try from a terminal.
  h.handle('addresses', () => server.addresses);

  /** Chat from any connection to every page; throws the error result past the limits. */
  const chat = (value: unknown, peer: Connection): void => {
    const msg = value as { from?: unknown; text?: unknown } | null;
    const said = text(msg?.text, MAX_CHAT);
    if (!said) throw new Error('say something: {"text": "…"}');
    spend(peer);
    // A page posts under the name it said hello with; a terminal may say who it is (its `via`
    // tag shows it is not a page).
    const kind = peer.info?.kind ?? '?';
    const from = room.nameOf(peer) ?? (kind === 'ws' || kind === 'wss' ? 'anonymous' : text(msg?.from, 40) || kind);
    room.broadcast('chat', { from, text: said, via: kind, at: Date.now() });
  };
  // Pages send chat as a request, so that a refusal comes back to show; terminals may notify
  // (a notification has no answer: past the limits, the line is dropped).
  h.handle('chat', (value, ctx) => (chat(value, ctx.peer), null));
  h.onNotification('chat', (value, ctx) => {
    try {
      chat(value, ctx.peer);
    } catch {
      // dropped: over the limits, or nothing said
    }
  });

  h.onNotification('ping', (value, ctx) => ctx.peer.notify('pong', value));
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
