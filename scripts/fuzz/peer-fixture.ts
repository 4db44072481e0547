// The operations and notifications the fuzzed peer serves, and the names the generator uses.
import { Handlers, RetryLater } from '@gotalk/peer';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Ops whose handlers finish on their own: every single request to one of them must be answered. */
export const FINISHING_OPS = ['echo', 'async', 'later', 'fail', 'retry', 'json', 'stream', 'upper', 'big', 'bad', 'slowstream'] as const;
/** Ops whose handlers run until the connection goes: no answer is due while it is open. */
export const HANGING_OPS = ['hang'] as const;
/** Every op name the generator aims at (plus unknown ones it makes up). */
export const OPS: readonly string[] = [...FINISHING_OPS, ...HANGING_OPS];
/** Notification names with handlers. */
export const NOTIFICATIONS: readonly string[] = ['note', 'notefail', 'notereject', 'notejson'];

const registries = new Map<string, Handlers>();

/**
 * The handler registry of the fuzzed peer: handlers that answer at once, a microtask or a turn
 * later, fail, ask for a retry, parse JSON, stream, answer wrong (one byte over `maxPayload`,
 * not bytes) and hang. With `fallback`, unknown ops are echoed too. Made once per combination.
 */
export function fuzzHandlers(fallback: boolean, maxPayload: number): Handlers {
  const key = `${fallback}/${maxPayload}`;
  let h = registries.get(key);
  if (!h) registries.set(key, (h = makeHandlers(fallback, maxPayload)));
  return h;
}

function makeHandlers(fallback: boolean, maxPayload: number): Handlers {
  const h = new Handlers();
  h.handleBytes('echo', (p) => p);
  h.handleBytes('async', async (p) => p);
  h.handleBytes('later', async (p) => {
    await nextTurn();
    return p;
  });
  h.handleBytes('fail', () => {
    throw new Error('failed on purpose');
  });
  h.handleBytes('retry', (p) => {
    throw new RetryLater(p.length, 'try again');
  });
  h.handle('json', (v) => v);
  h.handleStream('stream', async function* (parts) {
    for await (const part of parts) yield part;
  });
  h.handleStream('slowstream', async function* (parts) {
    for await (const part of parts) {
      await nextTurn();
      yield part.slice();
    }
  });
  h.handleStream('upper', async (parts) => {
    let n = 0;
    for await (const part of parts) n += part.length;
    return Uint8Array.of(n & 0xff);
  });
  h.handleBytes('big', (p) => new Uint8Array(maxPayload + 1).fill(p[0] ?? 0));
  h.handleBytes('bad', () => 'not bytes' as unknown as Uint8Array);
  h.handleBytes(
    'hang',
    (_p, ctx) =>
      new Promise((_resolve, reject) => {
        if (ctx.signal.aborted) reject(ctx.signal.reason);
        else ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      }),
  );
  h.onNotificationBytes('note', () => {});
  h.onNotificationBytes('notefail', () => {
    throw new Error('notification failed on purpose');
  });
  h.onNotificationBytes('notereject', async () => {
    throw new Error('notification rejected on purpose');
  });
  h.onNotification('notejson', () => {});
  if (fallback) h.fallback((p) => p);
  return h;
}
