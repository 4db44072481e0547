// Helpers of the @gotalk/browser tests that are about the browser client: clients on `ws`'s
// WebSocket (Node 20 has no global one), their events, schemas. What every package's tests
// share (waiting, cleanup, servers, ports) is @gotalk/test-kit (and @gotalk/test-kit/node).
import { WebSocket } from 'ws';
import { connect, type Client, type ClientEvents, type ClientOptions, type StandardSchemaV1 } from '@gotalk/browser';
import type { Cleanup } from '@gotalk/test-kit';

/** Fast reconnection, for tests. */
export const fast = { minDelay: 10, maxDelay: 100, factor: 2 };

/** A client on `ws`'s WebSocket (unless `options.WebSocket` says otherwise), closed by `cleanup`. */
export function client(cleanup: Cleanup, url: string, options: ClientOptions = {}): Client {
  const c = connect(url, { WebSocket, reconnect: fast, ...options });
  cleanup.add(() => c.close());
  return c;
}

/** Resolves with the next `event` of `client` (fails after `ms`). */
export function next<K extends keyof ClientEvents>(client: Client, event: K, ms = 5000): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${String(event)} event within ${ms} ms`));
    }, ms);
    const off = client.on(event, (value) => {
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

/** Resolves once `client` is connected. */
export async function connected(client: Client): Promise<void> {
  if (!client.connected) await next(client, 'open');
}

/** A Standard Schema that accepts values `check` accepts, for typed operations in tests. */
export function schema<T>(check: (v: unknown) => v is T): StandardSchemaV1<T, T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value) => (check(value) ? { value } : { issues: [{ message: 'wrong type' }] }),
    },
  };
}
