// The demo's contracts, one module for both ends: the server implements `demoServer` and calls
// `demoPage` on its connections (handlers.ts); the page gets this module bundled, as the global
// `demoContracts` (/contract.js, see page-contract.ts), and does the opposite. The schemas are
// zod's tree-shakable `zod/mini`, so that the page's copy stays small. The demo faces
// strangers and terminals: what they send is cut to size by the schemas rather than refused.
import { defineContract, notification, operation, streamOperation } from '@gotalk/peer';
import * as z from 'zod/mini';

/** The longest texts the demo relays, in characters. */
export const MAX = { name: 40, question: 200, answer: 200, chat: 500 } as const;

/**
 * The primes runs: the limits the server sieves between (a limit outside is clamped, and the page
 * says so), and how many times the page retries a run the server is too busy for (it asks for
 * PRIMES_RETRY_WAIT ms each time, handlers.ts).
 */
export const PRIMES = { min: 10, max: 5_000_000, retries: 10 } as const;

/** `value` as a string of at most `max` characters: strings as they are, anything else as JSON. */
export function text(value: unknown, max: number): string {
  if (typeof value === 'string') return value.slice(0, max);
  try {
    return (JSON.stringify(value) ?? '').slice(0, max);
  } catch {
    return '';
  }
}

/** Any JSON value, made a string of at most `max` characters (see {@link text}). */
const cut = (max: number) =>
  z.pipe(
    z.unknown(),
    z.transform((v) => text(v, max)),
  );
/** Field `key` of any JSON value (an object or not), cut to `max` characters. */
const fieldOf = (value: unknown, key: string, max: number) =>
  text(value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined, max);

const rosterEntry = z.object({ kind: z.string(), name: z.string(), load: z.nullable(z.number()) });
const roster = z.object({ peers: z.array(rosterEntry), count: z.number() });
const answer = z.object({ page: z.string(), answer: z.optional(z.string()), error: z.optional(z.string()), ms: z.number() });
/** A chat line from any connection: a page says only `text`, a terminal may say who it is. */
const chatLine = z.pipe(
  z.unknown(),
  z.transform((v) => ({ from: fieldOf(v, 'from', MAX.name), text: fieldOf(v, 'text', MAX.chat) })),
);
const progress = z.object({ done: z.number(), total: z.number(), found: z.number(), last: z.number() });

/** What the demo server serves to every connection: pages, terminals, programs. */
export const demoServer = defineContract({
  /** A greeting, typed and validated both ways. */
  greet: operation({
    input: z.object({ name: z.string().check(z.minLength(1), z.maxLength(60)) }),
    output: z.object({ greeting: z.string(), servedBy: z.string() }),
  }),
  /** Anything back as it came: typed only, no schema. */
  echo: operation<unknown, unknown>(),
  /** Makes the connection a page named `name` (or `name (2)`…): the roster once, with the name given. */
  hello: operation({
    input: z.pipe(
      z.unknown(),
      z.transform((v) => fieldOf(v, 'name', MAX.name)),
    ),
    output: z.extend(roster, { you: z.string() }),
  }),
  /** The first pages and how many there are. */
  roster: operation({ input: z.unknown(), output: roster }),
  /** The server asks every page the question and gathers the answers. */
  askPages: operation({ name: 'ask-pages', input: cut(MAX.question), output: z.array(answer) }),
  /** The primes below the limit (one input), as progress parts. */
  primes: streamOperation({ input: z.number(), output: progress }),
  /** Where else the server listens. */
  addresses: operation({ input: z.unknown(), output: z.array(z.string()) }),
  /** A chat line to every page, as a request: a refusal comes back. */
  chat: operation({ input: chatLine, output: z.null() }),
  /** The same as a notification (terminals): past the limits it is dropped. */
  chatNote: notification(chatLine, 'chat'),
  /** Answered with `pong` and the same value. */
  ping: notification(z.unknown()),
});

/** What the server calls on a connection: a page answers `ask` and receives the broadcasts. */
export const demoPage = defineContract({
  /** The server's question; whatever a page answers, the others are shown a short string. */
  ask: operation({ input: z.string(), output: cut(MAX.answer) }),
  chat: notification(z.object({ from: z.string(), text: z.string(), via: z.string(), at: z.number() })),
  answers: notification(z.object({ question: z.string(), answers: z.array(answer), count: z.number() })),
  rosterChanges: notification(
    z.object({
      joined: z.array(z.object({ name: z.string(), kind: z.string() })),
      left: z.array(z.string()),
      count: z.number(),
      resync: z.optional(z.literal(true)),
    }),
    'roster-changes',
  ),
  pong: notification(z.unknown()),
});
