// Helpers of the @gotalk/browser tests: a Gotalk server from @gotalk/node, clients on `ws`'s
// WebSocket (Node 20 has no global one), event waiting and cleanup.
import { createServer } from 'node:net';
import { listen, type Server, type ServerOptions } from '@gotalk/node';
import { WebSocket } from 'ws';
import { connect, type Client, type ClientEvents, type ClientOptions, type StandardSchemaV1 } from '@gotalk/browser';

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs registered disposers, last first, in afterEach. */
export class Cleanup {
  private tasks: (() => unknown)[] = [];

  add(task: () => unknown): void {
    this.tasks.push(task);
  }

  async run(): Promise<void> {
    const tasks = this.tasks.reverse();
    this.tasks = [];
    for (const task of tasks) await task();
  }
}

/** A Gotalk WebSocket server (no bundle served), closed by `cleanup`. */
export async function serve(cleanup: Cleanup, address = 'ws://127.0.0.1:0/gotalk/', options: ServerOptions = {}): Promise<Server> {
  const server = await listen(address, { ws: { bundle: null }, ...options });
  cleanup.add(() => stop(server));
  return server;
}

/** Closes `server` at once: its connections are destroyed, not drained. */
export async function stop(server: Server): Promise<void> {
  for (const p of server.peers) p.destroy();
  await server.close();
}

/** Fast reconnection, for tests. */
export const fast = { minDelay: 10, maxDelay: 100, factor: 2 };

/** A client on `ws`'s WebSocket, closed by `cleanup`. */
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

/**
 * A port nothing listens on, below Linux's ephemeral range (32768 and up): no listener on port
 * 0 (another test's) can be given it, so it stays free while a test relies on it, say for a
 * server that is stopped and started again, or for a client that must find nobody there.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const probe = createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => probe.close(resolve));
      return port;
    }
    if (attempt === 50) throw new Error('no free port found in 20000..29999');
  }
}

/** A `ws://127.0.0.1:<port>/gotalk/` address on a {@link freePort}, for a server a test restarts. */
export async function restartableAddress(): Promise<string> {
  return `ws://127.0.0.1:${await freePort()}/gotalk/`;
}

/** Resolves with the error `promise` rejects with; fails if it resolves. */
export function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
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
