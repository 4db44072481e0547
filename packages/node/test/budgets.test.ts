// A server's budgets hold whatever the number of connections: the connection caps, the silence
// timeout, and the memory budget that all connections share — with hundreds of hostile
// connections at once while a well-behaved client is measured on its own connection.
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, DEFAULT_SERVER_BUDGETS, listen, type NodeError, type Peer } from '@gotalk/node';
import { Cleanup, waitFor, within } from '@gotalk/test-kit';
import { serve } from '@gotalk/test-kit/node';
import { hostPort, rawSocket, rawWebSocket } from './support.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function dial(address: string): Promise<Peer> {
  const peer = await connect(address);
  cleanup.add(() => peer.destroy());
  return peer;
}

/** A raw TCP socket that connects, optionally writes `hello`, and then stays silent. */
function silent(port: number, hello = '01'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    socket.once('error', reject);
    socket.once('connect', () => {
      if (hello) socket.write(hello);
      socket.resume(); // reads (and drops) what comes, so it sees the server close
      resolve(socket);
    });
    cleanup.add(() => socket.destroy());
  });
}

const closedSocket = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

describe('connection caps', () => {
  it('past maxConnections a new connection is refused before any byte (CONNECTION_LIMIT); a freed place is taken again', async () => {
    const server = await serve(cleanup, 'tcp://127.0.0.1:0', { maxConnections: 3 });
    const refused: NodeError[] = [];
    server.on('refused', (err) => refused.push(err));
    const { port } = hostPort(server.addresses[0]!.replace('tcp:', 'http:'));
    const kept = await Promise.all([silent(port), silent(port), silent(port)]);
    await waitFor(() => server.peers.size === 3, 'three peers');
    const extra = await rawSocket({ host: '127.0.0.1', port });
    await extra.expectClosed();
    expect(extra.received.length).toBe(0);
    expect(refused.map((e) => e.code)).toEqual(['CONNECTION_LIMIT']);
    kept[0]!.destroy();
    await waitFor(() => server.peers.size === 2, 'a place freed');
    const peer = await dial(server.addresses[0]!);
    expect(peer.open).toBe(true);
  });

  it('past maxConnectionsPerAddress a connection from that address is refused (ADDRESS_LIMIT); a WebSocket gets 503', async () => {
    const server = await serve(cleanup, ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/gotalk/'], { maxConnectionsPerAddress: 2 });
    const refused: NodeError[] = [];
    server.on('refused', (err) => refused.push(err));
    const { port } = hostPort(server.addresses[0]!.replace('tcp:', 'http:'));
    const kept = await Promise.all([silent(port), silent(port)]);
    const extra = await rawSocket({ host: '127.0.0.1', port });
    await extra.expectClosed();
    const ws = await rawWebSocket(server.addresses[1]!).catch((e: { status?: number }) => e);
    expect((ws as { status?: number }).status).toBe(503);
    expect(refused.map((e) => e.code)).toEqual(['ADDRESS_LIMIT', 'ADDRESS_LIMIT']);
    // A closed socket gives its address's place back, once: one more fits, then the cap holds again.
    await waitFor(() => server.peers.size === 2, 'two peers');
    kept[0]!.destroy();
    // White-box: the place is given back when the server's socket closes, which may come after its peer's end.
    const caps = (server as unknown as { connections: { open: number } }).connections;
    await waitFor(() => caps.open === 1, 'a place freed');
    const peer = await dial(server.addresses[0]!);
    expect(peer.open).toBe(true);
    const again = await rawSocket({ host: '127.0.0.1', port });
    await again.expectClosed();
    expect(refused.map((e) => e.code)).toEqual(['ADDRESS_LIMIT', 'ADDRESS_LIMIT', 'ADDRESS_LIMIT']);
  });

  it('rejects caps that are not whole numbers', async () => {
    await expect(listen('tcp://127.0.0.1:0', { maxConnections: -1 })).rejects.toThrow(RangeError);
    await expect(listen('tcp://127.0.0.1:0', { memoryBudget: 1.5 })).rejects.toThrow(RangeError);
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_SERVER_BUDGETS).toEqual({ maxConnections: 4096, maxConnectionsPerAddress: 256, memoryBudget: 256 * 1024 * 1024, silenceTimeout: 60_000 });
    // 3 of the 20 s heartbeat interval of the Go reference client and gotalk.js: a peer that
    // beats is never dropped by the silence timeout (its first beat disarms it).
    expect(DEFAULT_SERVER_BUDGETS.silenceTimeout).toBeGreaterThanOrEqual(3 * 20_000);
  });
});

describe('hundreds of hostile connections at once', () => {
  it('300 connections that send 01 and then nothing are all closed by the silence timeout; a client on its own connection is served throughout', async () => {
    const server = await serve(cleanup, 'tcp://127.0.0.1:0', { silenceTimeout: 1000, maxConnectionsPerAddress: 1000 });
    server.handlers.handle('echo', (v) => v);
    const { port } = hostPort(server.addresses[0]!.replace('tcp:', 'http:'));
    const good = await dial(server.addresses[0]!);
    const hostile = await Promise.all(Array.from({ length: 300 }, () => silent(port)));
    await waitFor(() => server.peers.size === 301, '301 peers', 10_000);
    const latencies: number[] = [];
    const started = Date.now();
    while (server.peers.size > 1 && Date.now() - started < 15_000) {
      const t0 = performance.now();
      expect(await good.request('echo', { n: latencies.length })).toEqual({ n: latencies.length });
      latencies.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(server.peers.size).toBe(1);
    await within(Promise.all(hostile.map(closedSocket)), 10_000, 'every silent connection closed');
    expect(good.open).toBe(true); // it beats (at the handshake and every 20 s), so it stays
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length * 0.99)]!).toBeLessThan(1000);
  });

  it('200 connections each joining large streams: the server holds at most its memory budget; refused work gets retry results; the budget is all given back', async () => {
    const limit = 8 * 1024 * 1024;
    const server = await serve(cleanup, 'tcp://127.0.0.1:0', { memoryBudget: limit });
    server.handlers.handleBytes('join', (p) => new TextEncoder().encode(String(p.length)));
    server.handlers.handle('echo', (v) => v);
    const { port } = hostPort(server.addresses[0]!.replace('tcp:', 'http:'));
    let max = 0;
    const sampler = setInterval(() => (max = Math.max(max, server.budget.used)), 2);
    cleanup.add(() => clearInterval(sampler));
    const good = await dial(server.addresses[0]!);
    // Each hostile connection opens 4 streams and sends 1 MiB into each, never ending them:
    // 800 MiB asked for in all, 100 times the budget.
    const part = Buffer.alloc(64 * 1024, 0x61);
    const hostile = await Promise.all(
      Array.from({ length: 200 }, async (_, c) => {
        const s = await silent(port);
        for (let k = 0; k < 4; k++) {
          const id = hex(c * 4 + k, 8).replace(/../g, (h) => String.fromCharCode(parseInt(h, 16)));
          s.write(Buffer.from(`s${id}004join${hex(part.length, 8)}`, 'latin1'));
          s.write(part);
          for (let i = 0; i < 15; i++) s.write(Buffer.concat([Buffer.from(`p${id}${hex(part.length, 8)}`, 'latin1'), part]));
        }
        return s;
      }),
    );
    const replies = hostile.map((s) => {
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      return () => got;
    });
    await waitFor(() => replies.some((r) => r().includes('server busy: memory budget reached')), 'a retry result', 15_000);
    // The well-behaved client, while the budget is spent: served, or told to retry later, never
    // left waiting nor answered wrongly.
    for (let i = 0; i < 5; i++) {
      const answer = await good.request('echo', i, { retries: 0 }).catch((e: { code?: string }) => e.code);
      expect([i, 'RETRY_EXHAUSTED']).toContain(answer);
    }
    expect(max).toBeLessThanOrEqual(limit);
    for (const s of hostile) s.destroy();
    await waitFor(() => server.peers.size === 1, 'the hostile peers gone', 10_000);
    await waitFor(() => server.budget.used === 0, 'the budget given back', 5000);
    expect(await good.request('echo', 'served again')).toBe('served again');
  });

  it('8 connections that never read, asking for large replies: closed as not reading once the budget is spent; memory stays within it', async () => {
    const limit = 16 * 1024 * 1024;
    const server = await serve(cleanup, 'tcp://127.0.0.1:0', { memoryBudget: limit });
    const reply = new Uint8Array(1024 * 1024);
    server.handlers.handleBytes('big', () => reply);
    server.handlers.handle('echo', (v) => v);
    const closes: string[] = [];
    server.on('disconnect', (_peer, info) => closes.push(`${info.reason}: ${info.error?.message ?? ''}`));
    const { port } = hostPort(server.addresses[0]!.replace('tcp:', 'http:'));
    const good = await dial(server.addresses[0]!);
    const readers = await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        const s = await silent(port);
        s.pause(); // never reads
        let i = 0;
        const pump = setInterval(() => {
          for (let k = 0; k < 4 && !s.destroyed; k++, i++) {
            const id = String.fromCharCode(c + 0x41) + hex(i, 3);
            s.write(`r${id}003big00000000`);
          }
        }, 5);
        cleanup.add(() => clearInterval(pump));
        s.once('close', () => clearInterval(pump));
        return s;
      }),
    );
    let max = 0;
    const sampler = setInterval(() => (max = Math.max(max, server.budget.used)), 2);
    cleanup.add(() => clearInterval(sampler));
    await within(Promise.all(readers.map(closedSocket)), 20_000, 'every non-reader closed');
    expect(closes.filter((c) => c.startsWith('transport: the other side is not reading: the memory budget is spent')).length).toBe(8);
    // Replies admitted before the budget was spent may overshoot it by what was in flight then.
    expect(max).toBeLessThan(limit + 8 * 4 * reply.length);
    expect(await good.request('echo', 'still here')).toBe('still here');
    await waitFor(() => server.budget.used === 0, 'the budget given back', 5000);
  });
});
