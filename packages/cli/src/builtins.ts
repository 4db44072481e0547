import { defineOperation, fromJson, serveDescription, type Handlers } from '@gotalk/node';
import { z } from 'zod';
import { sleep } from './sleep.ts';

/** `greet`: `{"name": N}` → `{"greeting": "Hello N"}`, typed and validated with zod. */
export const greet = defineOperation('greet', {
  input: z.object({ name: z.string() }),
  output: z.object({ greeting: z.string() }),
});

/** The longest `sleep` accepted, in ms. */
export const MAX_SLEEP = 10 * 60 * 1000;

/** One line per built-in, for help texts. */
export const BUILTINS = [
  ['echo', 'answers its payload bytes unchanged'],
  ['echo-stream', 'a stream handler: answers each part as it arrives'],
  ['greet', '{"name":"N"} → {"greeting":"Hello N"} (input validated)'],
  ['fail', 'always answers an error result (its text: the payload if a JSON string)'],
  ['sleep', `payload: ms to wait (0..${MAX_SLEEP}), then answers {"slept":ms}`],
  ['ping', 'notification: answered with a "pong" notification, same payload'],
] as const;

/** Registers the reference responder's built-in operations, the `ping` notification, and `$describe`. */
export function registerBuiltins(handlers: Handlers): void {
  const what = Object.fromEntries(BUILTINS) as Record<(typeof BUILTINS)[number][0], string>;
  handlers.handleBytes('echo', (payload) => payload, what.echo);
  handlers.handleStream(
    'echo-stream',
    async function* (parts) {
      for await (const part of parts) yield part;
    },
    what['echo-stream'],
  );
  handlers.implement(greet, ({ name }) => ({ greeting: `Hello ${name}` }), what.greet);
  handlers.handleBytes(
    'fail',
    (payload) => {
      let message: unknown;
      try {
        message = fromJson(payload);
      } catch {
        message = undefined;
      }
      throw new Error(typeof message === 'string' && message !== '' ? message : 'fail always fails');
    },
    what.fail,
  );
  handlers.handle(
    'sleep',
    async (value, ctx) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_SLEEP) {
        throw new Error(`sleep takes a whole number of milliseconds from 0 to ${MAX_SLEEP}`);
      }
      await sleep(value, ctx.signal);
      return { slept: value };
    },
    what.sleep,
  );
  handlers.onNotificationBytes(
    'ping',
    (payload, ctx) => {
      if (ctx.peer.open) ctx.peer.notifyBytes('pong', payload);
    },
    what.ping,
  );
  serveDescription(handlers, {
    service: 'gotalk serve, a reference responder',
    sends: [{ name: 'pong', description: 'the answer to a ping, with its payload' }],
  });
}
