// connect() with `handshake: 'pipeline'`: the first requests leave with the version, in one
// write, without waiting for the other side's version; and what they reject with when the
// handshake fails. Over real TCP and Unix sockets.
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, connectClient, NodeError, type ConnectOptions } from '@gotalk/node';
import { encodeFrame, encodeFrames, encodeVersion, FrameDecoder, type Frame } from '@gotalk/protocol';
import { bytes, Cleanup, deferred, delay, errorOf, latin1, str, waitFor, within } from '@gotalk/test-kit';
import { serve, tempDir } from '@gotalk/test-kit/node';
import { clientTls, rawServer, serverTls, type RawServer } from './support.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const PIPELINE: ConnectOptions = { handshake: 'pipeline' };

/** What a {@link lateServer} does once it has read the first chunk of a connection. */
type Conduct = 'answer' | 'another version' | 'hang up' | 'silent';

interface LateServer extends RawServer {
  /** The first chunk read on each connection. */
  readonly firsts: Buffer[];
  /** How many writes the other sockets of this process (the clients) had made at each first read. */
  readonly clientWritesAtFirstRead: number[];
}

/**
 * Counts the writes of every socket of this process but `server`'s own and the standard
 * streams: the clients' (each `_write` or `_writev` of a socket is one write to the system).
 */
function countClientWrites(serverSockets: ReadonlySet<Socket>): () => number {
  let n = 0;
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const name of ['_write', '_writev'] as const) {
    const original = proto[name];
    vi.spyOn(proto, name).mockImplementation(function (this: Socket, ...args: unknown[]) {
      if (!serverSockets.has(this) && this !== (process.stdout as unknown) && this !== (process.stderr as unknown)) n++;
      return original.apply(this, args);
    });
  }
  cleanup.add(() => vi.restoreAllMocks());
  return () => n;
}

/**
 * A plain server (TCP, or the Unix socket `path`) that writes its version only once it has read
 * the first chunk of a connection, and then behaves as `conduct` says: `answer` replies to every
 * single request with its own payload, `another version` sends `09`, `hang up` closes the
 * connection, `silent` sends nothing.
 */
async function lateServer(conduct: Conduct, path?: string): Promise<LateServer> {
  const firsts: Buffer[] = [];
  const clientWritesAtFirstRead: number[] = [];
  const accepted = new Set<Socket>();
  const writes = countClientWrites(accepted);
  const server = await rawServer(
    cleanup,
    (socket) => {
      accepted.add(socket);
      const decoder = new FrameDecoder({ expectVersion: true });
      let first = true;
      socket.on('data', (chunk: Buffer) => {
        if (first) {
          first = false;
          firsts.push(chunk);
          clientWritesAtFirstRead.push(writes());
          if (conduct === 'another version') return void socket.write('09');
          if (conduct === 'hang up') return void socket.destroy();
          if (conduct === 'silent') return;
          socket.write(encodeVersion());
        }
        if (conduct !== 'answer') return;
        decoder.push(chunk, (f) => f.type === 'r' && socket.write(encodeFrame({ type: 'R', id: f.id, payload: f.payload })));
      });
    },
    path,
  );
  return { ...server, firsts, clientWritesAtFirstRead };
}

/** A single request frame (the first request of a connection has id 0). */
const request = (id: number, op: string, payload: string): Frame => ({ type: 'r', id, op, payload: bytes(payload) });

const TRANSPORTS = [
  ['TCP', async () => undefined],
  ['a Unix socket', async () => join(await tempDir(cleanup), 'late.sock')],
] as const;

describe.each(TRANSPORTS)('connect() over %s', (_name, socketPath) => {
  it("with handshake 'pipeline', the first request leaves with the version in one write: the server's first read holds both", async () => {
    const server = await lateServer('answer', await socketPath());
    const peer = await connect(server.address, PIPELINE);
    cleanup.add(() => peer.destroy());
    const reply = peer.requestBytes('echo', bytes('first'));
    expect(str(await reply)).toBe('first');
    expect(latin1(server.firsts[0]!)).toBe(latin1(concat(encodeVersion(), encodeFrame(request(0, 'echo', 'first')))));
    expect(server.clientWritesAtFirstRead[0]).toBe(1);
    await expect(peer.ready).resolves.toBeUndefined();
  });

  it('waiting for the handshake (the default), the request leaves only after the other side’s version: the first read holds the version alone', async () => {
    const server = await lateServer('answer', await socketPath());
    const peer = await connect(server.address);
    cleanup.add(() => peer.destroy());
    expect(str(await peer.requestBytes('echo', bytes('second')))).toBe('second');
    expect(latin1(server.firsts[0]!)).toBe('01');
    expect(latin1(Buffer.concat(server.received))).toContain(latin1(encodeFrame(request(0, 'echo', 'second'))));
  });

  it('the other side speaks another version: every early request rejects with CONNECT_FAILED, as ready does, and later ones with CLOSED', async () => {
    const server = await lateServer('another version', await socketPath());
    const peer = await connect(server.address, PIPELINE);
    const early = [
      errorOf(peer.request('echo', 'json')),
      errorOf(peer.requestBytes('echo', bytes('raw'))),
      errorOf(peer.stream('echo', [bytes('a'), bytes('b')]).collect()),
    ];
    const failure = await errorOf(peer.ready);
    expect(failure).toBeInstanceOf(NodeError);
    expect(failure.code).toBe('CONNECT_FAILED');
    expect(failure.message).toContain(server.address);
    for (const err of await Promise.all(early)) expect(err).toBe(failure);
    expect((await peer.closed).reason).toBe('protocol');
    expect((await errorOf(peer.request('echo', 'late'))).code).toBe('CLOSED');
    // What the server read: our version and first request, then our verdict on its version.
    await waitFor(() => latin1(Buffer.concat(server.received)).endsWith('f00000001'), 'the protocol error');
    expect(latin1(server.firsts[0]!).startsWith(`01${latin1(encodeFrame(request(0, 'echo', '"json"')))}`)).toBe(true);
  });

  it('the other side hangs up before its version: the early request rejects with CONNECT_FAILED', async () => {
    const server = await lateServer('hang up', await socketPath());
    const peer = await connect(server.address, PIPELINE);
    const err = await errorOf(peer.requestBytes('echo', bytes('lost')));
    expect(err).toBeInstanceOf(NodeError);
    expect(err.code).toBe('CONNECT_FAILED');
    expect(err.message).toContain('closed during the handshake');
    await expect(peer.ready).rejects.toBe(err);
  });

  it('the program destroys the peer before the handshake: the early request rejects with CLOSED, not a connect error', async () => {
    const server = await lateServer('silent', await socketPath());
    const peer = await connect(server.address, PIPELINE);
    const early = errorOf(peer.request('echo', 'dropped'));
    peer.destroy();
    expect((await early).code).toBe('CLOSED');
    expect((await errorOf(peer.ready)).code).toBe('CLOSED');
  });

  it('the other side never sends its version: the early request rejects with CONNECT_TIMEOUT at connectTimeout, and the connection is closed', async () => {
    const server = await lateServer('silent', await socketPath());
    const t0 = Date.now();
    const peer = await connect(server.address, { ...PIPELINE, connectTimeout: 200 });
    const err = await errorOf(peer.requestBytes('echo', bytes('unanswered')));
    expect(err).toBeInstanceOf(NodeError);
    expect(err.code).toBe('CONNECT_TIMEOUT');
    expect(err.message).toContain('200 ms');
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(5000);
    await expect(peer.ready).rejects.toBe(err);
    await waitFor(() => server.sockets.size === 0, 'the client to close its socket');
  });

  it("with no connectTimeout, the peer's handshakeTimeout ends it: CONNECT_TIMEOUT, after telling the server with f00000003", async () => {
    const server = await lateServer('silent', await socketPath());
    const peer = await connect(server.address, { ...PIPELINE, connectTimeout: 0, handshakeTimeout: 100 });
    const err = await errorOf(peer.request('echo', 'unanswered'));
    expect(err.code).toBe('CONNECT_TIMEOUT');
    expect(err.message).toContain('did not complete the handshake');
    await waitFor(() => latin1(Buffer.concat(server.received)).endsWith('f00000003'), 'the timeout error');
  });

  it('a reconnecting client sends what waited for the connection with its version, in one write', async () => {
    const server = await lateServer('answer', await socketPath());
    const client = connectClient(server.address, { reconnect: false });
    cleanup.add(() => client.close());
    const replies = [client.requestBytes('echo', bytes('queued 1')), client.requestBytes('echo', bytes('queued 2'))];
    expect((await Promise.all(replies)).map(str)).toEqual(['queued 1', 'queued 2']);
    const sent = [request(0, 'echo', 'queued 1'), request(1, 'echo', 'queued 2')];
    expect(latin1(server.firsts[0]!)).toBe(latin1(concat(encodeVersion(), encodeFrames(sent))));
    expect(server.clientWritesAtFirstRead[0]).toBe(1);
  });
});

describe("connect() with handshake: 'pipeline' against Gotalk servers", () => {
  it('a server that sends its version only later (its accept hook waits): connect() resolves before, and the early request is answered', async () => {
    const gate = deferred();
    const server = await serve(cleanup, 'tcp://127.0.0.1:0', { accept: () => gate.promise });
    server.handlers.handleBytes('echo', (payload) => payload);
    const peer = await within(connect(server.addresses[0]!, PIPELINE), 5000, 'connect() before the version');
    cleanup.add(() => peer.destroy());
    let ready = false;
    void peer.ready.then(() => (ready = true));
    const reply = peer.requestBytes('echo', bytes('early'));
    // A connect() that waited for the handshake is still waiting.
    const waiting = connect(server.addresses[0]!);
    let waited = false;
    void waiting.then(
      () => (waited = true),
      () => {},
    );
    await delay(100);
    expect(ready).toBe(false);
    expect(waited).toBe(false);
    gate.resolve();
    expect(str(await reply)).toBe('early');
    expect(ready).toBe(true);
    const other = await waiting;
    cleanup.add(() => other.destroy());
  });

  it.each([
    ['tls', () => serve(cleanup, 'tls://127.0.0.1:0', { tls: serverTls })],
    ['ws', () => serve(cleanup, 'ws://127.0.0.1:0/gotalk/')],
  ])('over %s the early request is answered too', async (_kind, start) => {
    const server = await start();
    server.handlers.handle('echo', (v) => v);
    const peer = await connect(server.addresses[0]!, { ...PIPELINE, tls: clientTls });
    cleanup.add(() => peer.destroy());
    expect(await peer.request('echo', 'pipelined')).toBe('pipelined');
  });

  it('a connection that cannot be made still rejects connect() itself (CONNECT_FAILED)', async () => {
    const server = await rawServer(cleanup);
    const address = server.address;
    await cleanup.run();
    const err = await errorOf(connect(address, PIPELINE));
    expect(err.code).toBe('CONNECT_FAILED');
  });
});

/** `parts` back to back. */
function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
