// The demo's operations, shared by every connection of the demo server. The demo faces strangers:
// every operation's cost is bounded per call, and what one connection may ask for is limited.
import {
  createProxy,
  type Connection,
  type InputOf,
  type Middleware,
  type NotificationType,
  type Server,
  type ServerOptions,
  type StandardSchemaV1,
} from '@gotalk/node';
import { demoPage, demoServer, MAX, PRIMES, text } from './contract.ts';
import { PAGES, Room, type RoomOptions } from './room.ts';
import { TokenBucket } from './token-bucket.ts';

export { demoPage, demoServer } from './contract.ts';

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

/** Sieves held at once by the whole server (each up to 5 MB). */
const MAX_PRIMES_RUNS = 4;
/**
 * How long a primes run past MAX_PRIMES_RUNS is asked to wait before it retries, in ms. A run
 * takes up to about 2 s, and the page retries up to PRIMES.retries times (contract.ts): the waits
 * together outlast a few runs ahead of it.
 */
export const PRIMES_RETRY_WAIT = 1000;
/** `ask-pages` calls in progress at once, server-wide. */
const MAX_ASKS = 2;

/** What the demo keeps per connection: its chat budget and whether it has a sieve or a question out. */
interface ClientState {
  readonly chat: TokenBucket;
  primes: boolean;
  asking: boolean;
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
  /** Sends a notification of the page's contract to every page (typed by it, encoded once). */
  const broadcast = <S extends StandardSchemaV1>(type: NotificationType<S>, value: InputOf<S>): void => room.broadcast(type.name, value);
  server.on('disconnect', (peer) => room.leave(peer));

  // Middleware in place of a check in each handler: what goes to every page (chat lines, questions
  // to the pages) takes a token first, as a request (refused with an error result) or a
  // notification (dropped).
  const toEveryPage = new Set([demoServer.entries.chat.name, demoServer.entries.askPages.name]);
  const rateLimit: Middleware = (call, next) => {
    if (toEveryPage.has(call.op)) spend(call.peer);
    return next();
  };
  h.use(rateLimit);

  let asking = 0;
  let running = 0;
  /** Chat from any connection to every page. */
  const chat = ({ from, text: said }: { from: string; text: string }, peer: Connection): null => {
    if (!said) throw new Error('say something: {"text": "…"}');
    // A page posts under the name it said hello with; a terminal may say who it is (its `via`
    // tag shows it is not a page).
    const kind = peer.info?.kind ?? '?';
    const name = room.nameOf(peer) ?? (kind === 'ws' || kind === 'wss' ? 'anonymous' : from || kind);
    // To every connection, not only the pages: a terminal running `gotalk listen` is in the room too.
    // (Chat is rate limited for the whole room, so this is a few notifications a second at most.)
    server
      .everyone()
      .notify(demoPage.entries.chat, { from: name, text: said, via: kind, at: Date.now() })
      .catch(() => {}); // a line the page's schema refuses is not sent
    return null;
  };

  h.implement(demoServer, {
    greet: ({ name }, ctx) => ({ greeting: `Hello ${name}!`, servedBy: `gotalk-ts over ${ctx.peer.info?.kind ?? '?'}` }),

    echo: (value) => value,

    // A connection becomes a page by saying hello: only then is it counted, shown and sent broadcasts.
    hello: (wanted, ctx) => {
      const name = room.join(ctx.peer, wanted);
      if (name === null) throw new Error('that name is taken: pick another');
      return { you: name, ...room.roster() };
    },

    roster: () => room.roster(),

    // Server → browser: ask every page through its contract, gather the answers (pages have 5 s,
    // one deadline for all).
    askPages: async (question, ctx) => {
      const client = clientOf(ctx.peer);
      if (client.asking) throw new Error('this connection is already asking the pages');
      if (asking >= MAX_ASKS) ctx.retry(1000, 'the pages are being asked already');
      client.asking = true;
      asking++;
      try {
        const gathered = await server.to(PAGES).gather(demoPage.entries.ask, question || 'How are you?', { timeout: 5000 });
        const answers = gathered.map((g) => {
          const page = room.nameOf(g.member) ?? 'anonymous';
          const ms = Math.round(g.ms);
          return g.ok ? { page, answer: g.value, ms } : { page, error: text(g.error.message, MAX.answer), ms };
        });
        // Every page is asked; the first `shown` answers are shown (to the caller and to every page).
        const shown = answers.slice(0, room.shown);
        broadcast(demoPage.entries.answers, { question: question || 'How are you?', answers: shown, count: answers.length });
        return shown;
      } finally {
        client.asking = false;
        asking--;
      }
    },

    // A streamed result with progress: find the primes below the limit, reporting as it goes.
    // Each run holds a sieve of up to 5 MB: one per connection, a few at a time, the rest retry.
    primes: async function* (inputs, ctx) {
      let limit: number | undefined;
      for await (const n of inputs) {
        if (limit !== undefined) throw new Error('primes takes one number, the limit');
        limit = n;
      }
      const client = clientOf(ctx.peer);
      if (client.primes) throw new Error('one primes run at a time per connection');
      if (running >= MAX_PRIMES_RUNS) ctx.retry(PRIMES_RETRY_WAIT, 'the server is busy finding primes');
      running++;
      client.primes = true;
      try {
        yield* sieve(limit ?? 200000, ctx.signal);
      } finally {
        running--;
        client.primes = false;
      }
    },

    // Where else this server listens, for the page's hint of what to try from a terminal.
    addresses: () => server.addresses,

    // Pages send chat as a request, so that a refusal comes back to show; terminals may notify
    // (a notification has no answer: past the limits, the line is dropped).
    chat: (line, ctx) => chat(line, ctx.peer),
    chatNote: (line, ctx) => {
      try {
        chat(line, ctx.peer);
      } catch {
        // dropped: nothing said
      }
    },

    ping: (value, ctx) => createProxy(ctx.peer, demoPage).pong(value),
  });
}

/** The primes up to `requested` (clamped to 10..5,000,000), as progress parts, slow enough to watch. */
async function* sieve(requested: number, signal: AbortSignal): AsyncGenerator<{ done: number; total: number; found: number; last: number }> {
  const limit = Math.min(Math.max(Math.floor(requested) || 200000, PRIMES.min), PRIMES.max);
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
      yield { done: i, total: limit, found, last };
      await new Promise((r) => setTimeout(r, 30)); // slow enough to watch
    }
  }
}
