// The reconnecting client in Node (connectClient): the browser client's semantics over every
// address kind. It survives a server restart with its handlers and its queued requests, and
// recomputes where to connect on every attempt.
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, listen, type Client, type ClientEvents, type Server, type ServerOptions } from '@gotalk/node';
import { Cleanup } from '@gotalk/test-kit';
import { freePort, tempDir } from '@gotalk/test-kit/node';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const fast = { minDelay: 10, maxDelay: 200, factor: 2 };

async function serve(address: string, options: ServerOptions = {}): Promise<Server> {
  const server = await listen(address, { ws: { bundle: null }, ...options });
  cleanup.add(async () => {
    for (const p of server.peers) p.destroy();
    await server.close();
  });
  return server;
}

async function stop(server: Server): Promise<void> {
  for (const p of server.peers) p.destroy();
  await server.close();
}

function client(...args: Parameters<typeof connectClient>): Client {
  const c = connectClient(...args);
  cleanup.add(() => c.close());
  return c;
}

function next<K extends keyof ClientEvents>(c: Client, event: K, ms = 5000): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${String(event)} within ${ms} ms`)), ms);
    const off = c.on(event, (v) => {
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

describe.each(['tcp', 'unix', 'ws'] as const)('connectClient over %s', (kind) => {
  it('survives a server restart: handlers kept, requests made while down sent once it is back', async () => {
    const address =
      kind === 'tcp'
        ? `tcp://127.0.0.1:${await freePort()}`
        : kind === 'ws'
          ? `ws://127.0.0.1:${await freePort()}/gotalk/`
          : `unix:${await tempDir(cleanup)}/r.sock`;
    const setup = (server: Server) => {
      server.handlers.handle('echo', (v) => v);
      server.handlers.handle('ask', (_v, ctx) => ctx.peer.request('whoami'));
    };
    let server = await serve(address);
    setup(server);
    const c = client(address, { reconnect: fast });
    c.handlers.handle('whoami', () => 'node client');
    await next(c, 'open');
    expect(c.state).toBe('open');
    expect(await c.request('ask')).toBe('node client');

    const closed = next(c, 'close');
    await stop(server);
    await closed;
    const queued = c.request('echo', 'queued while down');
    expect(c.connected).toBe(false);
    server = await serve(address);
    setup(server);
    expect(await queued).toBe('queued while down');
    expect(await c.request('ask')).toBe('node client'); // the client's handlers on the new connection
  });
});

describe('connectClient', () => {
  it('recomputes where to connect on every attempt: a second server found on the next attempt', async () => {
    const first = await serve('tcp://127.0.0.1:0');
    first.handlers.handle('who', () => 'first');
    const second = await serve('tcp://127.0.0.1:0');
    second.handlers.handle('who', () => 'second');
    const asked: string[] = [];
    let current = first.addresses[0]!;
    const c = client(() => (asked.push(current), current), { reconnect: fast });
    expect(await c.request('who')).toBe('first');
    current = second.addresses[0]!;
    const closed = next(c, 'close');
    await stop(first);
    await closed;
    await next(c, 'open');
    expect(await c.request('who')).toBe('second');
    expect(asked).toEqual([first.addresses[0], second.addresses[0]]);
  });

  it('gives each attempt fresh headers from an async function (a new token per connection)', async () => {
    let issued = 0;
    const seen: unknown[] = [];
    const server = await serve('ws://127.0.0.1:0/gotalk/', { accept: (info) => (seen.push(info.request?.headers['x-token']), true) });
    server.handlers.handle('ping', () => 'pong');
    const c = client(async () => ({ address: server.addresses[0]!, headers: { 'x-token': `t${++issued}` } }), { reconnect: fast });
    expect(await c.request('ping')).toBe('pong');
    const closed = next(c, 'close');
    for (const p of server.peers) p.destroy();
    await closed;
    await next(c, 'open');
    expect(seen).toEqual(['t1', 't2']);
  });

  it('fails at once for an address that does not parse; with offline: fail, requests fail with OFFLINE while down', async () => {
    expect(() => connectClient('nope://x')).toThrow(expect.objectContaining({ code: 'BAD_ADDRESS' }) as Error);
    const c = client(`tcp://127.0.0.1:${await freePort()}`, { offline: 'fail', reconnect: fast });
    await expect(c.request('x')).rejects.toMatchObject({ code: 'OFFLINE' });
    const end = await next(c, 'close');
    expect(end.info).toBeNull();
    expect(end.error).toMatchObject({ code: 'CONNECT_FAILED' });
  });

  it('close() while an attempt is in progress stops for good', async () => {
    const c = client(`tcp://127.0.0.1:${await freePort()}`, { reconnect: fast });
    await c.close();
    expect(c.state).toBe('closed');
    await expect(c.request('x')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
