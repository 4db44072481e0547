// Servers on listeners the host already has: a net.Server or tls.Server made by the program
// (server.adopt), and a listening socket inherited as a file descriptor (listen('fd:N')), with
// the server's caps and memory budget applied to them as to its own; connect('fd:N') over an
// inherited connected socket.
import { once } from 'node:events';
import { openSync, closeSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, DuplexTransport, formatAddress, listen, parseAddress, Peer, Server, type ConnectionInfo, type NodeError } from '@gotalk/node';
import { childProcesses, tsProcess } from './process-support.ts';
import { certs, clientTls, serverTls } from './support.ts';
import { workerFixture } from './worker-support.ts';
import type { Socket } from 'node:net';
import { Cleanup, waitFor, within } from '@gotalk/test-kit';
import { tempDir } from '@gotalk/test-kit/node';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function server(options: ConstructorParameters<typeof Server>[0] = {}): Server {
  const s = new Server(options);
  cleanup.add(async () => {
    for (const p of s.peers) p.destroy();
    await s.close();
  });
  return s;
}

async function listening(net: NetServer, ...args: [] | [string]): Promise<NetServer> {
  await new Promise<void>((resolve) => (args.length ? net.listen(args[0], resolve) : net.listen(0, '127.0.0.1', resolve)));
  cleanup.add(() => new Promise((resolve) => net.close(resolve)));
  return net;
}

async function dial(address: string, options: Parameters<typeof connect>[1] = {}): Promise<Peer> {
  const peer = await connect(address, options);
  cleanup.add(() => peer.destroy());
  return peer;
}

const tcpAddress = (net: NetServer) => `tcp://127.0.0.1:${(net.address() as { port: number }).port}`;

describe('server.adopt(net.Server)', () => {
  it('serves the connections of a listening net.Server made elsewhere, lists its address, and asks the accept hook', async () => {
    const seen: ConnectionInfo[] = [];
    const s = server({ accept: (info) => void seen.push(info) });
    s.handlers.handle('echo', (v) => v);
    const net = await listening(createNetServer());
    expect(s.adopt(net)).toBe(tcpAddress(net));
    expect(s.addresses).toEqual([tcpAddress(net)]);
    const peer = await dial(tcpAddress(net));
    expect(await peer.request('echo', 'adopted')).toBe('adopted');
    expect(seen).toEqual([expect.objectContaining({ kind: 'tcp', remote: expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/) })]);
  });

  it('takes one that is not listening yet; its address shows once it listens', async () => {
    const s = server();
    s.handlers.handle('echo', (v) => v);
    const net = createNetServer();
    expect(s.adopt(net)).toBeNull();
    expect(s.addresses).toEqual([]);
    await listening(net);
    expect(s.addresses).toEqual([tcpAddress(net)]);
    expect(await (await dial(tcpAddress(net))).request('echo', 1)).toBe(1);
  });

  it('applies maxConnections and maxConnectionsPerAddress to an adopted listener (CONNECTION_LIMIT, ADDRESS_LIMIT)', async () => {
    for (const [options, code] of [
      [{ maxConnections: 1 }, 'CONNECTION_LIMIT'],
      [{ maxConnectionsPerAddress: 1 }, 'ADDRESS_LIMIT'],
    ] as const) {
      const s = server(options);
      const refused: NodeError[] = [];
      s.on('refused', (err) => refused.push(err));
      const net = await listening(createNetServer());
      s.adopt(net);
      await dial(tcpAddress(net));
      await expect(connect(tcpAddress(net), { connectTimeout: 5000 })).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
      expect(refused.map((e) => e.code)).toEqual([code]);
    }
  });

  it('applies the memory budget to an adopted listener: a request past it gets a retry result, and the budget is given back', async () => {
    const s = server({ memoryBudget: 64 * 1024 });
    s.handlers.handleBytes('size', (p) => new TextEncoder().encode(String(p.length)));
    const net = await listening(createNetServer());
    s.adopt(net);
    const peer = await dial(tcpAddress(net));
    const err = await peer.requestBytes('size', new Uint8Array(1024 * 1024), { retries: 0 }).catch((e: Error & { code?: string }) => e);
    expect(err).toMatchObject({ code: 'RETRY_EXHAUSTED' });
    expect((err as Error).message).toContain('memory budget');
    expect(new TextDecoder().decode(await peer.requestBytes('size', new Uint8Array(1000)))).toBe('1000');
    await waitFor(() => s.budget.used === 0, 'the budget given back');
  });

  it('adopts a tls.Server (connections are tls, with the client certificate) and a Unix socket server', async () => {
    const s = server();
    s.handlers.handle('kind', (_v, ctx) => ctx.peer.info?.kind ?? null);
    const tls = await listening(createTlsServer({ ...serverTls, requestCert: true, rejectUnauthorized: false, ca: certs.ca }));
    const tlsAddress = `tls://127.0.0.1:${(tls.address() as { port: number }).port}`;
    expect(s.adopt(tls)).toBe(tlsAddress);
    const secure = await dial(tlsAddress, { tls: { ...clientTls, cert: certs.clientCert, key: certs.clientKey } });
    expect(await secure.request('kind')).toBe('tls');
    const [served] = [...s.peers];
    expect((served!.info as ConnectionInfo).certificate?.subject?.CN).toBe('gotalk-test-client');
    const path = join(await tempDir(cleanup), 'adopted.sock');
    const unix = await listening(createNetServer(), path);
    expect(s.adopt(unix)).toBe(`unix:${path}`);
    const local = await dial(`unix:${path}`);
    expect(await local.request('kind')).toBe('unix');
  });

  it('close() stops the adopted server too', async () => {
    const s = new Server();
    const net = await listening(createNetServer());
    const address = tcpAddress(net);
    s.adopt(net);
    await s.close();
    expect(net.listening).toBe(false);
    await expect(connect(address, { connectTimeout: 5000 })).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    expect(() => s.adopt(createNetServer())).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});

describe('fd: addresses', () => {
  it('parse and format as fd:N; anything else after fd: is BAD_ADDRESS', () => {
    expect(parseAddress('fd:3')).toEqual({ kind: 'fd', fd: 3 });
    expect(formatAddress({ kind: 'fd', fd: 3 })).toBe('fd:3');
    for (const bad of ['fd:', 'fd:x', 'fd:-1', 'fd:3.5', 'fd: 3', 'fd:1234567890'])
      expect(() => parseAddress(bad)).toThrow(expect.objectContaining({ code: 'BAD_ADDRESS' }));
  });

  it('listen(fd:N) on something that is not a listening socket fails with BAD_ADDRESS', async () => {
    const file = join(await tempDir(cleanup), 'not-a-socket');
    const fd = openSync(file, 'w');
    cleanup.add(() => closeSync(fd));
    await expect(listen(`fd:${fd}`)).rejects.toMatchObject({ code: 'BAD_ADDRESS' });
    await expect(listen('fd:987654')).rejects.toMatchObject({ code: 'BAD_ADDRESS' });
  });

  it('a child serves on the listening socket it inherited as fd 3, within its caps; no process is left', async () => {
    // The listening socket is made here and handed down as the child's fd 3, as systemd or a
    // supervisor does; this process then closes its own copy, so only the child accepts.
    const net = await listening(createNetServer());
    const address = tcpAddress(net);
    const fd = (net as unknown as { _handle: { fd: number } })._handle.fd;
    expect(fd).toBeGreaterThan(2);
    const child = tsProcess(cleanup, workerFixture('fd-server.ts'), { stdio: ['ignore', 'pipe', 'inherit', fd] });
    await new Promise((resolve) => net.close(resolve));
    const [line] = (await once(child.stdout!.setEncoding('utf8'), 'data')) as [string];
    expect(JSON.parse(line)).toEqual([address]); // the address it is bound to, not fd:3
    const peer = await dial(address);
    expect(await peer.request('pid')).toBe(child.pid);
    expect(await peer.request('kind')).toBe('tcp');
    // maxConnections: 1 holds for the inherited listener.
    await expect(connect(address, { connectTimeout: 5000 })).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    peer.destroy();
    await cleanup.run();
    expect(childProcesses()).toEqual([]);
  });

  it('connect(fd:N) talks over a connected socket the process inherited (one end of a socketpair)', async () => {
    const child = tsProcess(cleanup, workerFixture('fd-client.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
    const peer = new Peer(new DuplexTransport(child.stdio[3] as Socket), { heartbeatInterval: 0 });
    cleanup.add(() => peer.destroy());
    await within(peer.ready, 15_000, 'the child to connect');
    expect(await peer.request('pid')).toBe(child.pid);
    expect(await peer.request('kind')).toBe('fd');
    expect(await peer.close()).toEqual({ reason: 'closed', error: null });
  });

  it('connect(fd:N) on a descriptor that is no socket fails with CONNECT_FAILED', async () => {
    const file = join(await tempDir(cleanup), 'plain');
    const fd = openSync(file, 'w');
    cleanup.add(() => closeSync(fd));
    await expect(connect(`fd:${fd}`)).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });
});
