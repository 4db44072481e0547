// The browser client against a real @gotalk/node WebSocket server, on `ws`'s WebSocket:
// requests, streams and notifications both ways, error and retry results, reconnection
// (handlers kept, queued requests sent, in-flight ones failed), backoff, offline modes, close.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { Peer, WebSocketTransport as NodeWebSocketTransport } from '@gotalk/node';
import { encodeFrame, encodeVersion, FrameDecoder } from '@gotalk/protocol';
import {
  BrowserError,
  ClientError,
  ClosedError,
  GotalkError,
  defineOperation,
  defineStreamOperation,
  text,
  utf8,
  type ClientEvents,
  type HandlerContext,
  type WebSocketConstructor,
} from '@gotalk/browser';
import { Cleanup, delay, errorOf, useFakeClocks, waitFor } from '@gotalk/test-kit';
import { freePort, restartableAddress, serve, stop, waitForIo } from '@gotalk/test-kit/node';
import { client, connected, fast, next, schema } from './support.ts';

const cleanup = new Cleanup();
afterEach(async () => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  await cleanup.run();
});

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number';

/**
 * A WebSocket server of plain peers that closes its `n`th connection (1, 2, …) with 1001
 * `upFor(n)` ms after the handshake. Closed by `cleanup`.
 */
async function restartingServer(upFor: (n: number) => number): Promise<{ url: string }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const sockets: ServerSocket[] = [];
  wss.on('connection', (socket) => {
    sockets.push(socket);
    const ms = upFor(sockets.length);
    void new Peer(new NodeWebSocketTransport(socket, { kind: 'ws' })).ready.then(
      () => setTimeout(() => socket.close(1001, 'going away'), ms),
      () => {},
    );
  });
  cleanup.add(() => new Promise((resolve) => wss.close(resolve)));
  cleanup.add(() => sockets.forEach((s) => s.terminate()));
  return { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/` };
}

/** `ws`'s WebSocket, counting the sockets made (each a connection attempt of the client). */
function countingWebSocket(): { WebSocket: WebSocketConstructor; readonly count: number } {
  const counter = {
    count: 0,
    WebSocket: class extends WebSocket {
      constructor(url: string) {
        super(url);
        counter.count++;
      }
    },
  };
  return counter;
}

/** Records a client's events in order. */
function record<K extends keyof ClientEvents>(c: ReturnType<typeof client>, event: K): ClientEvents[K][] {
  const seen: ClientEvents[K][] = [];
  c.on(event, (v) => seen.push(v));
  return seen;
}

describe('requests, streams and notifications both ways', () => {
  it('calls the server, and the server calls a handler registered on the client', async () => {
    const server = await serve(cleanup);
    server.handlers.handle('echo', (v) => v);
    server.handlers.handle('add', (v) => (v as number[]).reduce((a, b) => a + b, 0));
    const c = client(cleanup, server.addresses[0]!);
    c.handlers.handle('whoami', () => 'browser');
    await connected(c);
    expect(await c.request('echo', { message: 'Hello World' })).toEqual({ message: 'Hello World' });
    // Payload sizes are UTF-8 bytes: non-BMP characters and multi-byte text go through intact.
    expect(await c.request('echo', 'ü 😀 𝄞')).toBe('ü 😀 𝄞');
    expect(text(await c.requestBytes('echo', utf8('"raw"')))).toBe('"raw"');
    const add = defineOperation('add', { input: schema((v): v is number[] => Array.isArray(v)), output: schema(isNumber) });
    expect(await c.call(add, [1, 2, 3])).toBe(6);
    const [serverSide] = server.peers;
    expect(await serverSide!.request('whoami')).toBe('browser');
  });

  it('streams both ways', async () => {
    const server = await serve(cleanup);
    server.handlers.handleStream('upper', async function* (parts) {
      for await (const p of parts) yield utf8(text(p).toUpperCase());
    });
    const c = client(cleanup, server.addresses[0]!);
    c.handlers.handleStream('count', async function* (parts) {
      let n = 0;
      for await (const p of parts) yield utf8(`${(n += p.length)}`);
    });
    await connected(c);
    const parts: string[] = [];
    for await (const p of c.stream('upper', [utf8('ab'), utf8('cd'), utf8('é')])) parts.push(text(p));
    expect(parts.join('')).toBe('ABCDÉ');
    const upper = defineStreamOperation('upper', { input: schema(isString), output: schema(isString) });
    const typed: string[] = [];
    for await (const v of c.callStream(
      upper,
      ['"x"', '"y"'].map((s) => JSON.parse(s) as string),
    ))
      typed.push(v);
    expect(typed).toEqual(['X', 'Y']);
    const [serverSide] = server.peers;
    expect(text(await serverSide!.stream('count', [utf8('aaa'), utf8('bb')]).collect())).toBe('35');
  });

  it('sends and receives notifications', async () => {
    const server = await serve(cleanup);
    const atServer = new Promise((resolve) => server.handlers.onNotification('hello', resolve));
    const c = client(cleanup, server.addresses[0]!);
    const atClient = new Promise((resolve) => c.handlers.onNotification('ping', resolve));
    await connected(c);
    c.notify('hello', { from: 'browser' });
    expect(await atServer).toEqual({ from: 'browser' });
    [...server.peers][0]!.notify('ping', 42);
    expect(await atClient).toBe(42);
  });

  it('gets error results as RemoteError and retries retry results', async () => {
    const server = await serve(cleanup);
    server.handlers.handle('fail', () => {
      throw new Error('no such user');
    });
    let calls = 0;
    server.handlers.handle('flaky', (_v, ctx: HandlerContext) => (++calls === 1 ? ctx.retry(20, 'busy') : 'done'));
    server.handlers.handle('busy', (_v, ctx: HandlerContext) => ctx.retry(5, 'always busy'));
    const c = client(cleanup, server.addresses[0]!);
    const err = await errorOf(c.request('fail'));
    expect(err).toMatchObject({ code: 'REMOTE_ERROR', message: 'no such user' });
    expect(await c.request('flaky')).toBe('done');
    expect(calls).toBe(2);
    expect(await errorOf(c.request('busy', null, { retries: 1 }))).toMatchObject({ code: 'RETRY_EXHAUSTED' });
  });

  it("sends the requests that waited for the connection without waiting for the server's version", async () => {
    // A server that sends its version only once a request has arrived, then answers it.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (socket) => {
      const decoder = new FrameDecoder({ expectVersion: true });
      let versionSent = false;
      socket.on('message', (data: Buffer) =>
        decoder.push(new Uint8Array(data), (f) => {
          if (f.type !== 'r') return;
          if (!versionSent) socket.send(encodeVersion());
          versionSent = true;
          socket.send(encodeFrame({ type: 'R', id: f.id, payload: f.payload }));
        }),
      );
    });
    cleanup.add(() => new Promise((resolve) => wss.close(resolve)));
    cleanup.add(() => wss.clients.forEach((s) => s.terminate()));
    const c = client(cleanup, `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, { reconnect: false });
    expect(await c.request('echo', 'before the version')).toBe('before the version');
    expect(c.connected).toBe(true);
  });

  it('reads a server that sends each header and payload as its own message (gotalk.js 1.2 style)', async () => {
    const server = await serve(cleanup, 'ws://127.0.0.1:0/gotalk/', { ws: { bundle: null, splitMessages: true } });
    server.handlers.handle('echo', (v) => v);
    const c = client(cleanup, server.addresses[0]!);
    expect(await c.request('echo', ['split', '𝄞'])).toEqual(['split', '𝄞']);
  });

  it('reports activity of every connection to onActivity listeners', async () => {
    const server = await serve(cleanup);
    server.handlers.handle('echo', (v) => v);
    const c = client(cleanup, server.addresses[0]!);
    const ops: string[] = [];
    c.onActivity((e) => {
      if (e.type === 'request' && e.dir === 'out') ops.push(e.op);
    });
    await c.request('echo', 1);
    [...server.peers][0]!.destroy();
    await next(c, 'open');
    await c.request('echo', 2);
    expect(ops).toEqual(['echo', 'echo']);
  });
});

describe('reconnection', () => {
  it('says where it is: connecting, open, waiting after a drop, closed', async () => {
    const server = await serve(cleanup);
    const c = client(cleanup, server.addresses[0]!, { reconnect: { minDelay: 5_000, maxDelay: 10_000 } });
    expect(c.state).toBe('connecting');
    await connected(c);
    expect(c.state).toBe('open');
    const reconnecting = next(c, 'reconnecting');
    await stop(server);
    await reconnecting;
    expect(c.state).toBe('waiting');
    await c.close();
    expect(c.state).toBe('closed');
  });

  it('connectTimeout covers the handshake: a server that opens the WebSocket and never sends its version is left and tried again', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    let connections = 0;
    wss.on('connection', () => void connections++); // never a byte
    cleanup.add(() => new Promise((resolve) => wss.close(resolve)));
    cleanup.add(() => wss.clients.forEach((s) => s.terminate()));
    const c = client(cleanup, `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, {
      connectTimeout: 200,
      handshakeTimeout: 60_000,
      reconnect: fast,
    });
    const started = performance.now();
    const end = await next(c, 'close');
    expect(performance.now() - started).toBeLessThan(5000); // not the 60 s handshake timeout
    expect(end.info?.reason).not.toBe('handshake');
    await next(c, 'reconnecting');
    await vi.waitFor(() => expect(connections).toBeGreaterThanOrEqual(2), { timeout: 5000 });
  });

  it('reconnects after the server restarts on the same port: handlers kept, queued requests sent', async () => {
    let server = await serve(cleanup, await restartableAddress());
    const address = server.addresses[0]!;
    server.handlers.handle('echo', (v) => v);
    const c = client(cleanup, address);
    c.handlers.handle('whoami', () => 'still me');
    await connected(c);
    const firstPeer = c.peer;

    const closed = next(c, 'close');
    await stop(server);
    expect((await closed).info).not.toBeNull();
    expect(c.connected).toBe(false);
    expect(c.peer).toBeNull();

    // Made while the server is down: they wait for the next connection.
    const queued = c.request('echo', 'queued');
    const queuedStream = c.stream('echo', utf8('"s"')).collect();
    c.notify('late', 'queued notification');
    let settled = false;
    void Promise.allSettled([queued, queuedStream]).then(() => (settled = true));
    // An attempt made while nobody listens fails; what was queued waits on through it.
    expect(await next(c, 'close')).toMatchObject({ info: null });
    expect(settled).toBe(false);

    server = await serve(cleanup, address);
    server.handlers.handle('echo', (v) => v);
    const heard = new Promise((resolve) => server.handlers.onNotification('late', resolve));
    expect(await queued).toBe('queued');
    expect(text(await queuedStream)).toBe('"s"');
    expect(await heard).toBe('queued notification');
    await connected(c);
    expect(c.peer).not.toBe(firstPeer);
    expect(await [...server.peers][0]!.request('whoami')).toBe('still me');
  });

  it('fails requests in flight when the connection drops with ClosedError, and does not resend them', async () => {
    const server = await serve(cleanup);
    let started = 0;
    server.handlers.handle('slow', (_v, ctx: HandlerContext) => {
      started++;
      return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(null)));
    });
    server.handlers.handle('echo', (v) => v);
    const c = client(cleanup, server.addresses[0]!);
    await connected(c);
    const pending = c.request('slow');
    await waitFor(() => started > 0, 'the handler to start');
    [...server.peers][0]!.destroy();
    const err = await errorOf(pending);
    expect(err).toBeInstanceOf(ClosedError);
    expect(err).toMatchObject({ code: 'CLOSED' });
    await next(c, 'open');
    expect(await c.request('echo', 'after')).toBe('after');
    expect(started).toBe(1);
  });

  it("with offline: 'fail', fails requests and notifications at once while disconnected", async () => {
    const port = await freePort();
    const c = client(cleanup, `ws://127.0.0.1:${port}/gotalk/`, { offline: 'fail' });
    const err = await errorOf(c.request('echo', 1));
    expect(err).toBeInstanceOf(ClientError); // the reconnecting client's own (runtime-neutral, in @gotalk/peer)
    expect(err).toBeInstanceOf(GotalkError); // one root for every layer's errors
    expect(err).toMatchObject({ code: 'OFFLINE' });
    expect(() => c.notify('n', 1)).toThrow(expect.objectContaining({ code: 'OFFLINE' }) as Error);
    await expect(c.stream('echo').collect()).rejects.toMatchObject({ code: 'OFFLINE' });
  });

  it('bounds the offline queue by count and by time, and honours abort signals', async () => {
    const port = await freePort();
    const c = client(cleanup, `ws://127.0.0.1:${port}/gotalk/`, { queueLimit: 2, queueTimeout: 150 });
    const started = Date.now();
    const a = errorOf(c.request('a'));
    const controller = new AbortController();
    const b = errorOf(c.request('b', null, { signal: controller.signal }));
    expect(await errorOf(c.request('c'))).toMatchObject({ code: 'QUEUE_FULL' });
    controller.abort();
    expect(await b).toMatchObject({ code: 'ABORTED' });
    expect(await a).toMatchObject({ code: 'QUEUE_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('backs off: delays grow from minDelay, with jitter, and stay within maxDelay', async () => {
    const port = await freePort();
    const policy = { minDelay: 10, maxDelay: 60, factor: 2 };
    const c = client(cleanup, `ws://127.0.0.1:${port}/gotalk/`, { reconnect: policy });
    const seen = record(c, 'reconnecting');
    const closes = record(c, 'close');
    await waitFor(() => seen.length >= 6, 'six reconnecting events');
    seen.forEach(({ attempt, delay: d }, i) => {
      expect(attempt).toBe(i + 1);
      expect(d).toBeGreaterThanOrEqual(policy.minDelay);
      expect(d).toBeLessThanOrEqual(Math.min(policy.maxDelay, policy.minDelay * policy.factor ** attempt));
    });
    // A refused attempt is a close without a peer.
    expect(closes[0]).toMatchObject({ info: null, code: 1006 });
  });

  it('reconnects at once when the server closes with 1012 (service restart) or 1001 (going away)', async () => {
    for (const code of [1012, 1001]) {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await new Promise((resolve) => wss.once('listening', resolve));
      const sockets: ServerSocket[] = [];
      wss.on('connection', (socket) => {
        sockets.push(socket);
        const peer = new Peer(new NodeWebSocketTransport(socket, { kind: 'ws' }));
        peer.handlers.handle('echo', (v) => v);
      });
      cleanup.add(() => new Promise((resolve) => wss.close(resolve)));
      cleanup.add(() => sockets.forEach((s) => s.terminate()));
      const c = client(cleanup, `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, { reconnect: { minDelay: 5000, maxDelay: 5000 } });
      await connected(c);
      const reconnecting = next(c, 'reconnecting');
      const reopened = next(c, 'open');
      sockets[0]!.close(code, 'restart');
      expect(await reconnecting).toEqual({ attempt: 1, delay: 0 });
      await reopened;
      expect(await c.request('echo', code)).toBe(code);
    }
  });

  it('backs off when the server closes every connection with 1001 right after the handshake', async () => {
    const wss = await restartingServer(() => 0);
    const random = vi.spyOn(Math, 'random').mockReturnValue(1); // each delay is its ceiling
    try {
      const c = client(cleanup, wss.url, { reconnect: { minDelay: 10, maxDelay: 1000, factor: 2 } });
      const seen = record(c, 'reconnecting');
      const opens = record(c, 'open');
      await waitFor(() => seen.length >= 5, 'five reconnecting events');
      // Only the first close after a fresh start reconnects at once; the rest grow: 10 × 2^attempt.
      expect(seen).toEqual([
        { attempt: 1, delay: 0 },
        { attempt: 2, delay: 40 },
        { attempt: 3, delay: 80 },
        { attempt: 4, delay: 160 },
        { attempt: 5, delay: 320 },
      ]);
      expect(opens.length).toBeGreaterThanOrEqual(5); // every connection completed its handshake
    } finally {
      random.mockRestore();
    }
  });

  it('after a connection that stayed up for maxDelay, counts attempts from 1 again and reconnects at once on 1001', async () => {
    // The first two connections close at once, the later ones after 300 ms (over maxDelay).
    const wss = await restartingServer((n) => (n <= 2 ? 0 : 300));
    const c = client(cleanup, wss.url, { reconnect: { minDelay: 10, maxDelay: 200, factor: 2 } });
    const seen = record(c, 'reconnecting');
    await waitFor(() => seen.length >= 3, 'three reconnecting events');
    expect(seen[0]).toEqual({ attempt: 1, delay: 0 });
    expect(seen[1]).toMatchObject({ attempt: 2 });
    expect(seen[1]!.delay).toBeGreaterThanOrEqual(10);
    expect(seen[2]).toEqual({ attempt: 1, delay: 0 });
  });

  it('waits for the online event while the browser is offline', async () => {
    const events = new EventTarget();
    const nav = { onLine: true };
    vi.stubGlobal('navigator', nav);
    vi.stubGlobal('addEventListener', events.addEventListener.bind(events));
    vi.stubGlobal('removeEventListener', events.removeEventListener.bind(events));
    const server = await serve(cleanup);
    server.handlers.handle('echo', (v) => v);
    const dials = countingWebSocket();
    const c = client(cleanup, server.addresses[0]!, { WebSocket: dials.WebSocket });
    await connected(c);
    const reconnecting = record(c, 'reconnecting');
    const offline = next(c, 'offline');
    // From here a reconnection timer would be a fake one, and the clock is moved far past it.
    useFakeClocks();
    nav.onLine = false;
    [...server.peers][0]!.destroy();
    await offline;
    await vi.advanceTimersByTimeAsync(60_000); // hundreds of backoff periods
    expect(reconnecting).toEqual([]);
    expect(dials.count).toBe(1);
    vi.useRealTimers();
    nav.onLine = true;
    const reopened = next(c, 'open');
    events.dispatchEvent(new Event('online'));
    await reopened;
    expect(reconnecting).toEqual([{ attempt: 1, delay: 0 }]);
  });
});

describe('reading backpressure', () => {
  it('ends the connection with READ_BACKLOG once a stream nobody reads has held limits.maxBacklog bytes', async () => {
    const server = await serve(cleanup);
    let sent = 0;
    server.handlers.handleStream('flood', async function* (_parts, ctx: HandlerContext) {
      for (; sent < 1000 && !ctx.signal.aborted; sent++) yield new Uint8Array(16 * 1024); // 16 MiB in all
    });
    const limits = { streamBuffer: 32 * 1024, maxBacklog: 256 * 1024 };
    const c = client(cleanup, server.addresses[0]!, { limits, reconnect: false });
    await connected(c);
    const closed = next(c, 'close');
    const parts = c.stream('flood')[Symbol.asyncIterator]();
    expect((await parts.next()).value).toHaveLength(16 * 1024); // one part read, then none
    const { info } = await closed;
    expect(info).toMatchObject({ reason: 'transport', error: { code: 'CLOSED' } });
    const cause = (info!.error as Error).cause;
    expect(cause).toBeInstanceOf(BrowserError);
    expect(cause).toMatchObject({ code: 'READ_BACKLOG' });
    // The stream fails with CLOSED once what its buffer holds is read.
    const rest = (async () => {
      while (!(await parts.next()).done);
    })();
    expect(await errorOf(rest)).toMatchObject({ code: 'CLOSED' });
    expect(sent).toBeLessThan(1000); // the server stopped: the connection ended early
  });

  it('keeps a connection that pauses and resumes while holding less than limits.maxBacklog', async () => {
    const server = await serve(cleanup);
    server.handlers.handleStream('flood', async function* () {
      for (let i = 0; i < 64; i++) yield new Uint8Array(16 * 1024); // 1 MiB: 32 × streamBuffer, half of maxBacklog
    });
    const c = client(cleanup, server.addresses[0]!, { limits: { streamBuffer: 32 * 1024, maxBacklog: 2 * 1024 * 1024 } });
    const closes = record(c, 'close');
    let bytes = 0;
    for await (const p of c.stream('flood')) {
      bytes += p.length;
      await delay(0);
    }
    expect(bytes).toBe(1024 * 1024);
    expect(closes).toEqual([]);
  });
});

describe('close()', () => {
  it('stops reconnecting and fails waiting and later requests with CLOSED', async () => {
    const port = await freePort();
    // Every timer of the client is fake from the start: the clock is moved past any it left behind.
    useFakeClocks();
    const dials = countingWebSocket();
    const c = client(cleanup, `ws://127.0.0.1:${port}/gotalk/`, { WebSocket: dials.WebSocket });
    await next(c, 'reconnecting'); // the first attempt was refused; the next one is a timer away
    const waiting = errorOf(c.request('x'));
    const seen = record(c, 'reconnecting');
    await c.close();
    expect(await waiting).toMatchObject({ code: 'CLOSED' });
    expect(await errorOf(c.request('y'))).toMatchObject({ code: 'CLOSED' });
    const dialed = dials.count;
    await vi.advanceTimersByTimeAsync(60_000); // hundreds of backoff periods
    expect(seen).toEqual([]);
    expect(dials.count).toBe(dialed);
  });

  it('closes an open connection gracefully and does not reconnect', async () => {
    const server = await serve(cleanup);
    server.handlers.handle('echo', (v) => v);
    const dials = countingWebSocket();
    const c = client(cleanup, server.addresses[0]!, { WebSocket: dials.WebSocket });
    await connected(c);
    const seen = record(c, 'reconnecting');
    const closes = record(c, 'close');
    const answer = c.request('echo', 'last');
    // From here a reconnection timer would be a fake one, and the clock is moved far past it.
    useFakeClocks();
    await c.close();
    expect(await answer).toBe('last');
    expect(closes).toEqual([{ info: { reason: 'closed', error: null } }]);
    expect(c.connected).toBe(false);
    await waitForIo(() => server.peers.size === 0, 'the server side to close');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(seen).toEqual([]);
    expect(dials.count).toBe(1);
  });

  it('with reconnect: false, closes for good when the connection ends', async () => {
    const server = await serve(cleanup);
    const c = client(cleanup, server.addresses[0]!, { reconnect: false });
    await connected(c);
    const closed = next(c, 'close');
    [...server.peers][0]!.destroy();
    await closed;
    expect(await errorOf(c.request('x'))).toMatchObject({ code: 'CLOSED' });
  });
});

describe('a notification queued while connecting', () => {
  it('that fails when finally sent is reported as an error event, not an unhandled rejection', async () => {
    const server = await serve(cleanup);
    const errors: Error[] = [];
    server.handlers.handle('echo', (v) => v);
    const c = client(cleanup, server.addresses[0]!, { limits: { maxPayload: 10 }, onActivity: (e) => e.type === 'error' && errors.push(e.error) });
    c.notifyBytes('hello', new Uint8Array(100)); // queued: not connected yet
    await next(c, 'open');
    await waitFor(() => errors.length > 0, 'the error event');
    // A round trip after it: any other report the notification caused came before its reply.
    expect(await c.request('echo', 1)).toBe(1);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['PAYLOAD_TOO_LARGE']);
  });
});
