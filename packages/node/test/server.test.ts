// Servers: several listeners sharing one registry, the live peer set, events, the accept hook
// on every transport, and graceful close.
import { connect as netConnect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, listen, NodeError, Server, type ActivityEvent, type CloseInfo, type ConnectionInfo, type ConnectOptions, type Peer } from '@gotalk/node';
import { Cleanup, deferred, delay, errorOf, waitFor, within } from '@gotalk/test-kit';
import { serve, tempDir } from '@gotalk/test-kit/node';
import { certs, clientTls, serverTls } from './support.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function dial(address: string, options: ConnectOptions = {}): Promise<Peer> {
  const peer = await connect(address, options);
  cleanup.add(() => peer.destroy());
  return peer;
}

describe('listeners', () => {
  it('listens on several addresses at once with one handler registry; addresses resolve port 0', async () => {
    const dir = await tempDir(cleanup);
    const server = await serve(
      cleanup,
      ['tcp://127.0.0.1:0', 'tls://127.0.0.1:0', `unix:${join(dir, 'multi.sock')}`, 'ws://127.0.0.1:0/gotalk/', 'wss://127.0.0.1:0/rpc/'],
      {
        tls: serverTls,
      },
    );
    const [tcp, tls, unix, ws, wss] = server.addresses;
    expect(tcp).toMatch(/^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(tls).toMatch(/^tls:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(unix).toBe(`unix:${join(dir, 'multi.sock')}`);
    expect(ws).toMatch(/^ws:\/\/127\.0\.0\.1:[1-9]\d*\/gotalk\/$/);
    expect(wss).toMatch(/^wss:\/\/127\.0\.0\.1:[1-9]\d*\/rpc\/$/);
    expect(new Set(server.addresses.map((a) => new URL(a.replace(/^unix:/, 'unix://x')).port)).size).toBe(5);

    let calls = 0;
    server.handlers.handle('kind', (_v, ctx) => {
      calls++;
      return ctx.peer.info?.kind;
    });
    const clients = await Promise.all(server.addresses.map((a) => dial(a, { tls: clientTls })));
    expect(server.peers.size).toBe(5);
    expect(await Promise.all(clients.map((c) => c.request('kind')))).toEqual(['tcp', 'tls', 'unix', 'ws', 'wss']);
    expect(calls).toBe(5);
    // Registered later, still seen by every connection.
    server.handlers.handle('late', () => 'yes');
    expect(await Promise.all(clients.map((c) => c.request('late')))).toEqual(['yes', 'yes', 'yes', 'yes', 'yes']);
  });

  it('adds a listener to a running server with listen()', async () => {
    const server = await serve(cleanup, 'tcp://127.0.0.1:0');
    server.handlers.handle('ping', () => 'pong');
    const added = await server.listen('ws://127.0.0.1:0');
    expect(added).toMatch(/^ws:\/\/127\.0\.0\.1:[1-9]\d*\/gotalk\/$/);
    expect(server.addresses).toEqual([server.addresses[0], added]);
    expect(await (await dial(added)).request('ping')).toBe('pong');
  });

  it('a TCP port already in use fails with ADDRESS_IN_USE, and listen() closes what it opened', async () => {
    const dir = await tempDir(cleanup);
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as AddressInfo).port;
    const path = join(dir, 'first.sock');
    for (const busy of [`tcp://127.0.0.1:${port}`, `ws://127.0.0.1:${port}/gotalk/`]) {
      const err = await errorOf(listen([`unix:${path}`, busy], { ws: { bundle: null } }));
      expect(err).toBeInstanceOf(NodeError);
      expect(err).toMatchObject({ code: 'ADDRESS_IN_USE' });
      expect((err as Error).message).toContain(String(port));
      await expect(connect(`unix:${path}`)).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    }
  });
});

describe('peers and events', () => {
  it('a connection has left server.peers and its groups, and disconnect was emitted, when its closed resolves (TCP and WebSocket)', async () => {
    const server = await serve(cleanup, ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/gotalk/']);
    const gone: Peer[] = [];
    server.on('disconnect', (p) => gone.push(p));
    const stateOf = (peer: Peer) => ({ live: server.peers.has(peer), inRoom: server.groups.has(peer, 'room'), told: gone.includes(peer) });
    for (const address of server.addresses) {
      // Awaited from a 'connection' listener, and later: both see it gone.
      const seen = new Promise<{ peer: Peer; early: Promise<ReturnType<typeof stateOf>> }>((resolve) =>
        server.once('connection', (peer) => resolve({ peer, early: peer.closed.then(() => stateOf(peer)) })),
      );
      const client = await dial(address);
      const { peer, early } = await seen;
      server.groups.join(peer, 'room');
      const late = peer.closed.then(() => stateOf(peer));
      await client.close();
      const ended = { live: false, inRoom: false, told: true };
      expect(await within(early, 5000, 'the served connection to close')).toEqual(ended);
      expect(await late).toEqual(ended);
    }
    expect(server.peers.size).toBe(0);
    // The server's closing still says goodbye to a WebSocket connection that is live.
    const client = await dial(server.addresses[1]!);
    await waitFor(() => server.peers.size === 1, 'the connection');
    await server.close();
    expect((await within(client.closed, 5000, 'the client to see the server go')).reason).toBe('remote');
  });

  it('keeps server.peers live and emits connection and disconnect', async () => {
    const server = await serve(cleanup, 'tcp://127.0.0.1:0');
    const connected: Peer[] = [];
    const disconnected: [Peer, CloseInfo][] = [];
    server.on('connection', (p) => connected.push(p));
    server.on('disconnect', (p, info) => disconnected.push([p, info]));
    expect(server.peers.size).toBe(0);
    const a = await dial(server.addresses[0]!);
    const b = await dial(server.addresses[0]!);
    await waitFor(() => connected.length === 2, 'two connection events');
    expect([...server.peers]).toEqual(connected);
    await a.close();
    await waitFor(() => disconnected.length === 1, 'a disconnect event');
    const [gone, info] = disconnected[0]!;
    expect(info).toEqual({ reason: 'remote', error: null });
    expect(server.peers.has(gone)).toBe(false);
    expect(server.peers.size).toBe(1);
    expect(await b.request('nope').catch((e: Error) => e.message)).toBe('unknown operation "nope"');
    b.destroy();
    await waitFor(() => server.peers.size === 0, 'an empty peer set');
    expect(disconnected.map(([p]) => p)).toEqual(connected);
  });

  it('emits activity with the peer it happened on', async () => {
    const server = await serve(cleanup, 'tcp://127.0.0.1:0');
    server.handlers.handle('echo', (v) => v);
    const seen: [Peer, ActivityEvent][] = [];
    server.on('activity', (peer, e) => seen.push([peer, e]));
    const client = await dial(server.addresses[0]!);
    await client.request('echo', 'hi');
    client.notify('note', 1);
    await waitFor(() => seen.some(([, e]) => e.type === 'notification'), 'the notification activity');
    const [peer] = [...server.peers];
    expect(seen.every(([p]) => p === peer)).toBe(true);
    const events = seen.map(([, e]) => e);
    expect(events).toContainEqual(expect.objectContaining({ type: 'request', dir: 'in', op: 'echo', stream: false, size: 4 }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'reply', dir: 'out', kind: 'result', size: 4 }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'notification', dir: 'in', name: 'note' }));
  });
});

describe('the accept hook', () => {
  it('tcp: sees the remote address; an object becomes peer.data, seen by handlers', async () => {
    const infos: ConnectionInfo[] = [];
    const server = await serve(cleanup, 'tcp://127.0.0.1:0', {
      accept: async (info) => {
        infos.push(info);
        await delay(5);
        return { user: 'ann', remote: info.remote };
      },
    });
    server.handlers.handle('whoami', (_v, ctx) => ctx.peer.data);
    const client = await dial(server.addresses[0]!);
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({ kind: 'tcp', remote: client.info?.local, local: server.addresses[0] });
    expect(await client.request('whoami')).toEqual({ user: 'ann', remote: client.info?.local });
  });

  it('tcp: returning false, or throwing, rejects the connection', async () => {
    let verdict: () => unknown = () => false;
    const server = await serve(cleanup, 'tcp://127.0.0.1:0', { accept: () => verdict() });
    const errors: Error[] = [];
    server.on('error', (e) => errors.push(e));
    const refused = await errorOf(connect(server.addresses[0]!));
    expect(refused).toBeInstanceOf(NodeError);
    expect(refused).toMatchObject({ code: 'CONNECT_FAILED' });
    verdict = () => {
      throw new Error('hook exploded');
    };
    expect(await errorOf(connect(server.addresses[0]!))).toMatchObject({ code: 'CONNECT_FAILED' });
    expect(errors.map((e) => e.message)).toEqual(['hook exploded']);
    verdict = () => Promise.reject(new Error('async hook failed'));
    expect(await errorOf(connect(server.addresses[0]!))).toMatchObject({ code: 'CONNECT_FAILED' });
    expect(server.peers.size).toBe(0);
    // undefined admits without data
    verdict = () => undefined;
    server.handlers.handle('data', (_v, ctx) => ctx.peer.data ?? 'none');
    expect(await (await dial(server.addresses[0]!)).request('data')).toBe('none');
  });

  it('unix: admits with the unix kind', async () => {
    const dir = await tempDir(cleanup);
    const infos: ConnectionInfo[] = [];
    const server = await serve(cleanup, `unix:${join(dir, 'hook.sock')}`, { accept: (info) => (infos.push(info), { via: info.kind }) });
    server.handlers.handle('data', (_v, ctx) => ctx.peer.data);
    const client = await dial(server.addresses[0]!);
    expect(await client.request('data')).toEqual({ via: 'unix' });
    expect(infos[0]).toMatchObject({ kind: 'unix', local: server.addresses[0] });
  });

  it('mutual TLS: sees the verified client certificate', async () => {
    const infos: ConnectionInfo[] = [];
    const server = await serve(cleanup, 'tls://127.0.0.1:0', {
      tls: { ...serverTls, ca: certs.ca, requestCert: true },
      accept: (info) => {
        infos.push(info);
        return { user: (info.certificate as { subject?: { CN?: string } } | undefined)?.subject?.CN };
      },
    });
    server.handlers.handle('whoami', (_v, ctx) => ctx.peer.data);
    const client = await dial(server.addresses[0]!, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
    expect(await client.request('whoami')).toEqual({ user: 'gotalk-test-client' });
    expect(infos[0]).toMatchObject({ kind: 'tls', authorized: true, remote: client.info?.local });
    expect(infos[0]!.certificate).toMatchObject({ subject: { CN: 'gotalk-test-client' }, issuer: { CN: 'gotalk test CA' } });
    // The client sees the server's certificate.
    expect(client.info?.['certificate']).toMatchObject({ subject: { CN: 'localhost' } });
    // Without a client certificate the TLS layer refuses before the hook runs.
    expect(await errorOf(connect(server.addresses[0]!, { tls: clientTls, connectTimeout: 5000 }))).toMatchObject({ code: 'CONNECT_FAILED' });
    expect(infos).toHaveLength(1);
  });

  it('TLS: the hook can reject clients whose certificate was not verified', async () => {
    const server = await serve(cleanup, 'tls://127.0.0.1:0', {
      tls: { ...serverTls, ca: certs.ca, requestCert: true, rejectUnauthorized: false },
      accept: (info) => info.authorized === true,
    });
    server.handlers.handle('ok', () => 'ok');
    expect(await errorOf(connect(server.addresses[0]!, { tls: clientTls }))).toMatchObject({ code: 'CONNECT_FAILED' });
    const good = await dial(server.addresses[0]!, { tls: { ...clientTls, cert: certs.clientCert, key: certs.clientKey } });
    expect(await good.request('ok')).toBe('ok');
  });

  it('WebSocket: sees the upgrade request headers and origin; false answers 403', async () => {
    const infos: ConnectionInfo[] = [];
    const server = await serve(cleanup, 'ws://127.0.0.1:0/gotalk/', {
      accept: (info) => {
        infos.push(info);
        const token = info.request?.headers['x-token'];
        return token === 'secret' ? { token, origin: info.request?.headers.origin } : false;
      },
    });
    server.handlers.handle('data', (_v, ctx) => ctx.peer.data);
    const address = server.addresses[0]!;
    const port = new URL(address).port;
    const client = await dial(address, { headers: { 'x-token': 'secret' } });
    expect(await client.request('data')).toEqual({ token: 'secret', origin: `http://127.0.0.1:${port}` });
    expect(infos[0]).toMatchObject({ kind: 'ws', local: `ws://127.0.0.1:${port}/gotalk/` });
    expect(infos[0]!.remote).toContain('127.0.0.1');
    expect(infos[0]!.request?.url).toBe('/gotalk/');
    const refused = await errorOf(connect(address, { headers: { 'x-token': 'wrong' } }));
    expect(refused).toMatchObject({ code: 'CONNECT_FAILED' });
    expect((refused as Error).message).toContain('403');
    expect(server.peers.size).toBe(1);
  });

  it('WebSocket: a throwing hook rejects the upgrade', async () => {
    const server = await serve(cleanup, 'ws://127.0.0.1:0/gotalk/', {
      accept: () => {
        throw new Error('no');
      },
    });
    const errors: Error[] = [];
    server.on('error', (e) => errors.push(e));
    const refused = await errorOf(connect(server.addresses[0]!));
    expect(refused).toMatchObject({ code: 'CONNECT_FAILED' });
    expect((refused as Error).message).toMatch(/HTTP (403|500)/);
    expect(errors.map((e) => e.message)).toEqual(['no']);
  });

  it('a throwing hook with nobody listening for `error` refuses the connection and the server goes on', async () => {
    let calls = 0;
    const server = await serve(cleanup, ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/gotalk/'], {
      accept: () => {
        if (++calls % 2 === 1) throw new TypeError("Cannot read properties of undefined (reading 'CN')");
        return undefined;
      },
    });
    expect(server.listenerCount('error')).toBe(0);
    server.handlers.handle('ping', () => 'pong');
    const [tcp, ws] = server.addresses as [string, string];
    // Odd calls throw: the first attempt on each listener is refused, the next one is served.
    expect(await errorOf(connect(tcp, { connectTimeout: 2000 }))).toMatchObject({ code: 'CONNECT_FAILED' });
    expect(await (await dial(tcp)).request('ping')).toBe('pong');
    expect(await errorOf(connect(ws, { connectTimeout: 2000 }))).toMatchObject({ code: 'CONNECT_FAILED' });
    expect(await (await dial(ws)).request('ping')).toBe('pong');
    expect(calls).toBe(4);
  });
});

describe('peer options', () => {
  it('listen() refuses bad peer options at once, before any connection', async () => {
    await expect(listen('tcp://127.0.0.1:0', { heartbeatInterval: -1 })).rejects.toThrow(/heartbeatInterval must be a number of ms/);
    expect(() => new Server({ limits: { retryWait: [1, 0.5] } })).toThrow(RangeError);
  });
});

describe('graceful close', () => {
  it('stops accepting, lets the request in flight finish, then ends', async () => {
    const dir = await tempDir(cleanup);
    const path = join(dir, 'close.sock');
    const server = await serve(cleanup, ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/gotalk/', `unix:${path}`]);
    const started = deferred();
    const release = deferred();
    cleanup.add(() => release.resolve());
    server.handlers.handle('slow', async () => {
      started.resolve();
      await release.promise;
      return 'finished';
    });
    const [tcp, ws, unix] = server.addresses as [string, string, string];
    const client = await dial(tcp);
    const idle = await dial(ws);
    const pending = client.request('slow');
    await within(started.promise, 5000, 'the handler to start');
    // What happens from here, in order: the busy connection must outlast everything but its request.
    const order: string[] = [];
    const closing = server.close().then(() => order.push('server closed'));
    void client.closed.then(() => order.push('client closed'));
    // New connections fail at once on every listener.
    for (const a of [tcp, ws, unix]) {
      expect(await errorOf(connect(a, { connectTimeout: 5000 }))).toMatchObject({ code: 'CONNECT_FAILED' });
    }
    // The idle connection is closed right away; the busy one waits for its request.
    expect((await within(idle.closed, 5000, 'the idle client to be closed')).reason).toBe('remote');
    order.push('idle closed');
    const serverSide = [...server.peers][0]!;
    expect(server.peers.size).toBe(1);
    expect(client.open).toBe(true);
    release.resolve();
    expect(
      await within(
        pending.then((v) => (order.push('reply'), v)),
        5000,
        'the request in flight',
      ),
    ).toBe('finished');
    await within(closing, 5000, 'server.close()');
    expect(await within(client.closed, 5000, 'the client to see the close')).toEqual({ reason: 'remote', error: null });
    // The request was answered before either side of its connection closed, and before the server did.
    expect(order.slice(0, 2)).toEqual(['idle closed', 'reply']);
    expect(order.slice(2).sort()).toEqual(['client closed', 'server closed']);
    expect(serverSide.open).toBe(false);
    expect(server.peers.size).toBe(0);
    expect(server.close()).toBe(server.close()); // idempotent: the same promise
  });

  it('the peer close timeout bounds a handler that never finishes', async () => {
    const server = await serve(cleanup, 'tcp://127.0.0.1:0', { closeTimeout: 200 });
    const started = deferred();
    const aborted = deferred<unknown>();
    server.handlers.handle('forever', (_v, ctx) => {
      started.resolve();
      ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
      return new Promise(() => {});
    });
    const client = await dial(server.addresses[0]!);
    const pending = client.request('forever', null, { timeout: 0 }).catch((e: unknown) => e);
    await within(started.promise, 5000, 'the handler to start');
    const t0 = Date.now();
    await within(server.close(), 5000, 'server.close()');
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(3000);
    expect(await within(pending, 5000, 'the request')).toMatchObject({ code: 'CLOSED' });
    expect(await within(aborted.promise, 1000, 'the handler signal')).toMatchObject({ code: 'CLOSED' });
  });
});

describe('a client that never reads', () => {
  it('is disconnected once its unsent replies pass limits.maxBacklog; other clients are served on', async () => {
    const server = await serve(cleanup, 'tcp://127.0.0.1:0', { limits: { maxBacklog: 4 * 1024 * 1024 } });
    server.handlers.handleBytes('big', () => new Uint8Array(256 * 1024));
    const closed = new Promise<CloseInfo>((resolve) => server.once('disconnect', (_peer, info) => resolve(info)));
    const { connect: netConnect } = await import('node:net');
    const { port } = new URL(server.addresses[0]!);
    const hog = netConnect(Number(port), '127.0.0.1');
    cleanup.add(() => hog.destroy());
    hog.on('error', () => {});
    hog.pause(); // never reads
    await new Promise((resolve) => hog.once('connect', resolve));
    hog.write('01');
    for (let i = 0; i < 200; i++) hog.write(`r${String(i).padStart(4, '0')}003big00000000`);
    const info = await within(closed, 10_000, 'the server to drop the client that does not read');
    expect(info.reason).toBe('transport');
    expect(info.error?.message).toMatch(/not reading/);
    const other = await dial(server.addresses[0]!);
    expect((await other.requestBytes('big', new Uint8Array(0))).length).toBe(256 * 1024);
  });
});

describe('a client that finishes sending (half-close)', () => {
  it('with allowHalfOpen, still gets the replies to what it asked, over TCP and Unix, then the server closes', async () => {
    const dir = await tempDir(cleanup);
    const server = await serve(cleanup, ['tcp://127.0.0.1:0', `unix:${join(dir, 'half.sock')}`], { allowHalfOpen: true });
    server.handlers.handleBytes('slow', async (p) => (await delay(50), p));
    server.handlers.handleBytes('fast', (p) => p);
    for (const address of server.addresses) {
      const target = address.startsWith('unix:') ? { path: address.slice('unix:'.length) } : { host: '127.0.0.1', port: Number(address.split(':').pop()) };
      const received = await new Promise<string>((resolve, reject) => {
        const socket = netConnect({ ...target, allowHalfOpen: true }, () => {
          socket.write('01r\x00\x00\x00\x01004slow00000002hir\x00\x00\x00\x02004fast00000002yo');
          socket.end(); // nothing more to send; still reading
        });
        let got = '';
        socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
        socket.on('error', reject);
        socket.on('close', () => resolve(got));
      });
      expect(received, address).toMatch(/^01/);
      expect(received, address).toContain('R\x00\x00\x00\x0200000002yo');
      expect(received, address).toContain('R\x00\x00\x00\x0100000002hi');
    }
    await waitFor(() => server.peers.size === 0, 'the peers to close');
  });

  it('with allowHalfOpen, a client that went away entirely ends a streaming handler as remote, not as a failure', async () => {
    const server = await serve(cleanup, 'tcp://127.0.0.1:0', { allowHalfOpen: true });
    server.handlers.handleStream('ticks', async function* () {
      for (;;) {
        yield new Uint8Array(1024);
        await delay(5);
      }
    });
    const closed = new Promise<CloseInfo>((resolve) => server.once('disconnect', (_peer, info) => resolve(info)));
    // The client sends its FIN, then goes away entirely: the handler's next writes fail (EPIPE, or
    // a reset), which after the FIN only means the client is gone.
    const socket = netConnect({ host: '127.0.0.1', port: Number(server.addresses[0]!.split(':').pop()) }, () => {
      socket.write('01r\x00\x00\x00\x01005ticks00000000');
      setTimeout(() => socket.end(), 30);
      setTimeout(() => socket.destroy(), 300);
    });
    socket.on('error', () => {});
    expect(await within(closed, 5000, 'the disconnect')).toEqual({ reason: 'remote', error: null });
  });

  it('without it (the default), a client that finishes sending ends the connection at once', async () => {
    const server = await serve(cleanup, 'tcp://127.0.0.1:0');
    let aborted = false;
    server.handlers.handle('wait', (_v, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => ((aborted = true), resolve(null)))));
    const closed = new Promise<CloseInfo>((resolve) => server.once('disconnect', (_peer, info) => resolve(info)));
    const socket = netConnect({ host: '127.0.0.1', port: Number(server.addresses[0]!.split(':').pop()), allowHalfOpen: true }, () => {
      socket.write('01r\x00\x00\x00\x01004wait00000000');
      setTimeout(() => socket.end(), 50);
    });
    socket.on('error', () => {});
    expect((await within(closed, 5000, 'the disconnect')).reason).toBe('remote');
    expect(aborted).toBe(true);
    socket.destroy();
  });
});
