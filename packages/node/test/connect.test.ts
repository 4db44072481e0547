// connect(): what a client sees when the other side is missing, silent, or refuses.
import { createServer as createHttpServer } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, NodeError, type ConnectOptions, type Server, type ServerOptions } from '@gotalk/node';
import { Cleanup, waitFor } from '@gotalk/test-kit';
import { freePort, serve, tempDir } from '@gotalk/test-kit/node';
import { certs, clientTls, rawServer as rawServerIn, serverTls } from './support.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** The NodeError `connect` fails with; fails the test if it connects. */
async function connectError(address: string, options: ConnectOptions = {}): Promise<NodeError> {
  const err = await connect(address, options).then(
    (peer) => {
      peer.destroy();
      throw new Error(`connected to ${address}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NodeError);
  return err as NodeError;
}

/** A raw TCP server (stopped by cleanup); `onSocket` decides what to do with each connection. */
const rawServer = (onSocket?: (socket: Socket) => void) => rawServerIn(cleanup, onSocket);

/** A server on `address` (stopped by cleanup) with an `echo` operation. */
async function echoServer(address: string, options: ServerOptions = {}): Promise<Server> {
  const server = await serve(cleanup, address, options);
  server.handlers.handle('echo', (v) => v);
  return server;
}

describe('connect()', () => {
  it('resolves with a ready peer describing the connection', async () => {
    const server = await echoServer('tcp://127.0.0.1:0');
    const peer = await connect(server.addresses[0]!);
    cleanup.add(() => peer.destroy());
    expect(peer.open).toBe(true);
    await expect(peer.ready).resolves.toBeUndefined();
    expect(peer.info).toMatchObject({ kind: 'tcp', remote: server.addresses[0] });
    expect(peer.info?.local).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(await peer.request('echo', 'hi')).toBe('hi');
  });

  it('connection refused: CONNECT_FAILED', async () => {
    const port = await freePort();
    const err = await connectError(`tcp://127.0.0.1:${port}`);
    expect(err.code).toBe('CONNECT_FAILED');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    const ws = await connectError(`ws://127.0.0.1:${port}/gotalk/`);
    expect(ws.code).toBe('CONNECT_FAILED');
  });

  it('missing Unix socket: CONNECT_FAILED', async () => {
    const path = join(await tempDir(cleanup), 'missing.sock');
    const err = await connectError(`unix:${path}`);
    expect(err.code).toBe('CONNECT_FAILED');
    expect(err.message).toContain(path);
  });

  it('a bad address: BAD_ADDRESS, as a rejection', async () => {
    const pending = connect('nonsense');
    await expect(pending).rejects.toMatchObject({ code: 'BAD_ADDRESS' });
  });

  it('a server that accepts but never sends its version: CONNECT_TIMEOUT, and the socket is closed', async () => {
    const silent = await rawServer();
    const t0 = Date.now();
    const err = await connectError(`tcp://127.0.0.1:${silent.port}`, { connectTimeout: 200 });
    expect(err.code).toBe('CONNECT_TIMEOUT');
    expect(err.message).toContain('200');
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(3000);
    // We sent our version, then gave up and closed the connection.
    await waitFor(() => silent.sockets.size === 0, 'the client to close its socket');
    expect(Buffer.concat(silent.received).toString('latin1').startsWith('01')).toBe(true);
  });

  it('a WebSocket server that never answers the upgrade: CONNECT_TIMEOUT, and the attempt is abandoned', async () => {
    const sockets = new Set<Socket>();
    const http = createHttpServer();
    http.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    // Never answers, but reads, so that the client hanging up is seen.
    http.on('upgrade', (_req, socket) => {
      socket.on('end', () => socket.end());
      socket.resume();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanup.add(
      () =>
        new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
          for (const s of sockets) s.destroy();
        }),
    );
    const port = (http.address() as AddressInfo).port;
    const err = await connectError(`ws://127.0.0.1:${port}/gotalk/`, { connectTimeout: 200 });
    expect(err.code).toBe('CONNECT_TIMEOUT');
    await waitFor(() => sockets.size === 0, 'the client to abandon the upgrade request', 3000);
  });

  it('a TLS handshake that never completes: CONNECT_TIMEOUT, and the attempt is abandoned', async () => {
    const silent = await rawServer();
    const err = await connectError(`tls://127.0.0.1:${silent.port}`, { connectTimeout: 200, tls: clientTls });
    expect(err.code).toBe('CONNECT_TIMEOUT');
    expect(Buffer.concat(silent.received)[0]).toBe(0x16); // a TLS ClientHello arrived
    await waitFor(() => silent.sockets.size === 0, 'the client to abandon the TLS handshake', 3000);
  });

  it('a peer that speaks another version: CONNECT_FAILED, after telling it with f00000001', async () => {
    const other = await rawServer((s) => s.write('09'));
    const err = await connectError(`tcp://127.0.0.1:${other.port}`);
    expect(err.code).toBe('CONNECT_FAILED');
    await waitFor(() => Buffer.concat(other.received).length >= 11, 'our version and the protocol error');
    expect(Buffer.concat(other.received).toString('latin1')).toBe('01f00000001');
  });

  it("the peer's handshakeTimeout, shorter than connectTimeout: CONNECT_TIMEOUT too, after telling the server with f00000003", async () => {
    const silent = await rawServer();
    const err = await connectError(`tcp://127.0.0.1:${silent.port}`, { handshakeTimeout: 100, connectTimeout: 10_000 });
    expect(err.code).toBe('CONNECT_TIMEOUT');
    expect(err.message).toContain('did not complete the handshake');
    await waitFor(() => Buffer.concat(silent.received).toString('latin1') === '01f00000003', 'our version and the timeout error');
  });

  it('a server that hangs up at once: CONNECT_FAILED', async () => {
    const rude = await rawServer((s) => s.destroy());
    const err = await connectError(`tcp://127.0.0.1:${rude.port}`);
    expect(err.code).toBe('CONNECT_FAILED');
  });

  it('WebSocket refused with HTTP 403 or 404: CONNECT_FAILED naming the status', async () => {
    const server = await echoServer('ws://127.0.0.1:0/gotalk/');
    const { port } = new URL(server.addresses[0]!);
    const forbidden = await connectError(server.addresses[0]!, { origin: 'https://evil.example' });
    expect(forbidden.code).toBe('CONNECT_FAILED');
    expect(forbidden.message).toMatch(/HTTP 403/);
    const missing = await connectError(`ws://127.0.0.1:${port}/elsewhere/`);
    expect(missing.code).toBe('CONNECT_FAILED');
    expect(missing.message).toMatch(/HTTP 404/);
  });

  it('TLS: an untrusted or mismatched certificate is CONNECT_FAILED; a host name works', async () => {
    const server = await echoServer('tls://127.0.0.1:0', { tls: serverTls });
    const { port } = new URL(server.addresses[0]!);
    const untrusted = await connectError(server.addresses[0]!);
    expect(untrusted.code).toBe('CONNECT_FAILED');
    const mismatch = await connectError(server.addresses[0]!, { tls: { ca: certs.ca, servername: 'wrong.example' } });
    expect(mismatch.code).toBe('CONNECT_FAILED');
    expect(mismatch.message).toMatch(/wrong\.example|altnames/i);
    const byName = await connect(`tls://localhost:${port}`, { tls: clientTls });
    cleanup.add(() => byName.destroy());
    expect(await byName.request('echo', 'tls by name')).toBe('tls by name');
    const wss = await echoServer('wss://127.0.0.1:0/gotalk/', { tls: serverTls });
    expect((await connectError(wss.addresses[0]!)).code).toBe('CONNECT_FAILED');
  });

  it('connectTimeout 0 puts no limit on connecting', async () => {
    const server = await echoServer('tcp://127.0.0.1:0');
    const peer = await connect(server.addresses[0]!, { connectTimeout: 0 });
    cleanup.add(() => peer.destroy());
    expect(await peer.request('echo', 'no limit')).toBe('no limit');
  });

  /** Connects with each of `bad` (options and the option name the RangeError must give), then checks that none of them dialled. */
  async function expectRejectedBeforeDialling(bad: readonly (readonly [ConnectOptions, string])[]): Promise<void> {
    let accepted = 0;
    const counting = await rawServer(() => accepted++);
    for (const [options, name] of bad) {
      const err = await connect(`tcp://127.0.0.1:${counting.port}`, options).then(
        (peer) => {
          peer.destroy();
          throw new Error(`connected with ${JSON.stringify(options)}`);
        },
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(options)).toBeInstanceOf(RangeError);
      expect((err as Error).message).toContain(name);
    }
    // One good connection after the bad calls: connections are accepted in order, so when it
    // arrives, any that the bad calls had made would have too.
    const probe = netConnect({ host: '127.0.0.1', port: counting.port });
    probe.on('error', () => {});
    cleanup.add(() => probe.destroy());
    await waitFor(() => accepted > 0, 'the probe connection');
    expect(accepted).toBe(1);
  }

  it('connectTimeout out of 0..2^31-1 ms: a RangeError naming it, before dialling', async () => {
    await expectRejectedBeforeDialling([-1, NaN, Infinity, 2 ** 31, -Infinity].map((connectTimeout) => [{ connectTimeout }, 'connectTimeout'] as const));
  });

  it('invalid peer options: a RangeError naming the option, before dialling (no socket left open)', async () => {
    await expectRejectedBeforeDialling([
      [{ handshake: 'eager' as 'wait' }, 'handshake'],
      [{ heartbeatInterval: -5 }, 'heartbeatInterval'],
      [{ limits: { maxRequests: 1.5 } }, 'limits.maxRequests'],
    ]);
  });
});
