// Byte-level interoperability with the Go reference, both ways (see /work/shared/gotalk-wire.md):
// - raw sockets replay the reference exchanges against our server, the way a Go client writes
//   them (version on its own, header and payload as separate writes, binary ids, uppercase hex);
// - a fake "Go server" speaking raw bytes the way the reference server does is used by our
//   connect() client.
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { connect, type Peer, type Server, type ServerOptions } from '@gotalk/node';
import { bytes, Cleanup, deferred, delay, str, waitFor, within } from '@gotalk/test-kit';
import { serve, tempDir } from '@gotalk/test-kit/node';
import { hostPort, type RawConnection, rawSocket, rawWebSocket } from './support.ts';

type Kind = 'tcp' | 'unix' | 'ws';
const KINDS: readonly Kind[] = ['tcp', 'unix', 'ws'];

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const upper = async function* (parts: AsyncIterable<Uint8Array>) {
  for await (const p of parts) yield bytes(str(p).toUpperCase());
};

/** Our server on a fresh address of `kind`, with the reference's example handlers, and no heartbeats by default. */
async function ourServer(kind: Kind, options: ServerOptions = {}): Promise<{ server: Server; raw(): Promise<RawConnection> }> {
  const address = kind === 'tcp' ? 'tcp://127.0.0.1:0' : kind === 'unix' ? `unix:${join(await tempDir(cleanup), 's.sock')}` : 'ws://127.0.0.1:0/gotalk/';
  const server = await serve(cleanup, address, { heartbeatInterval: 0, ...options });
  server.handlers.handle('echo', (v) => v);
  server.handlers.handleStream('sjoin', upper);
  const bound = server.addresses[0]!;
  const raw = async () => {
    const conn =
      kind === 'tcp' ? await rawSocket(hostPort(bound)) : kind === 'unix' ? await rawSocket({ path: bound.slice('unix:'.length) }) : await rawWebSocket(bound);
    cleanup.add(() => conn.close());
    return conn;
  };
  return { server, raw };
}

describe.each(KINDS)('reference exchanges replayed against our server over %s', (kind) => {
  it('echo: version on its own, then header and payload as separate writes', async () => {
    const { raw } = await ourServer(kind);
    const c = await raw();
    await c.writeEach(['01', 'r0001004echo00000019', '{"message":"Hello World"}']);
    await c.expectReceived('01R000100000019{"message":"Hello World"}');
  });

  it('echoes Go-style binary ids verbatim and reads uppercase hex', async () => {
    const { raw } = await ourServer(kind);
    const c = await raw();
    const payload = '{"message":"Hello World!"}'; // 26 = 0x1A bytes
    await c.writeEach([
      '01',
      'r\x00\x00\x00\x00004echo0000001A',
      payload,
      'r\x00\x00\x00\x01004echo0000001A',
      payload,
      'r\xff\xfe\x80\x7f004echo0000001a',
      payload,
    ]);
    await c.expectReceived(`01R\x00\x00\x00\x000000001a${payload}R\x00\x00\x00\x010000001a${payload}R\xff\xfe\x80\x7f0000001a${payload}`);
  });

  it('a request written one byte per write is read as a byte stream', async () => {
    const { raw } = await ourServer(kind);
    const c = await raw();
    const request = '01r\x00\x00\x00\x07004echo00000007"bytes"';
    await c.writeEach([...request]);
    await c.expectReceived('01R\x00\x00\x00\x0700000007"bytes"');
  });

  it('unknown operation: E with the reference text', async () => {
    const { raw } = await ourServer(kind);
    const c = await raw();
    await c.writeEach(['01', 'r0001004nope00000002', '{}']);
    await c.expectReceived('01E000100000018unknown operation "nope"');
  });

  it('stream request: s + p parts + empty p, answered by S parts + empty S', async () => {
    const { raw } = await ourServer(kind);
    const c = await raw();
    await c.writeEach(['01', 's0001005sjoin00000003', 'abc', 'p000100000002', 'de', 'p000100000000']);
    await c.expectReceived('01S000100000003ABCS000100000002DES000100000000');
  });

  it('stream request while streams are disabled: the reference error text', async () => {
    const { raw } = await ourServer(kind, { limits: { maxStreams: 0 } });
    const c = await raw();
    await c.writeEach(['01', 's0001005sjoin00000003', 'abc']);
    await c.expectReceived('01E00010000001dstream requests not supported');
  });

  it('past the request limit: e with the wait and "request rate limit"', async () => {
    const { server, raw } = await ourServer(kind, { limits: { maxRequests: 1, retryWait: [585, 585] } });
    const release = deferred();
    cleanup.add(() => release.resolve());
    server.handlers.handleBytes('hold', async () => {
      await release.promise;
      return bytes('ok');
    });
    const c = await raw();
    await c.writeEach(['01', 'r0001004hold00000000', 'r0002004echo00000002', '{}']);
    await c.expectReceived('01e00020000024900000012request rate limit');
    release.resolve();
    await c.expectReceived('01e00020000024900000012request rate limitR000100000002ok');
  });

  it('notifications in both directions', async () => {
    const { server, raw } = await ourServer(kind);
    const got = deferred<unknown>();
    server.handlers.onNotification('hello', (v) => got.resolve(v));
    const c = await raw();
    await c.writeEach(['01', 'n005hello00000007', '"world"']);
    expect(await within(got.promise, 5000, 'the notification')).toBe('world');
    const [peer] = [...server.peers];
    peer!.notify('hello', 'back');
    await c.expectReceived('01n005hello00000006"back"');
  });

  it('reads a heartbeat and sends its own (lowercase hex, Unix seconds)', async () => {
    const { server, raw } = await ourServer(kind, { heartbeatInterval: 60_000 });
    const c = await raw();
    await c.writeEach(['01', 'h00025f63ee48']);
    await waitFor(() => c.received.length >= 15, 'the version and a heartbeat');
    const text = c.received.toString('latin1');
    expect(text).toMatch(/^01h[0-9a-f]{4}[0-9a-f]{8}$/);
    expect(Math.abs(parseInt(text.slice(7, 15), 16) - Date.now() / 1000)).toBeLessThan(5);
    const [peer] = [...server.peers];
    await waitFor(() => peer!.remoteHeartbeat !== undefined, 'the heartbeat to be read');
    expect(peer!.remoteHeartbeat).toMatchObject({ load: 2, time: 0x5f63ee48 });
  });

  it('an empty result is an empty R', async () => {
    const { server, raw } = await ourServer(kind);
    server.handlers.handleBytes('nothing', () => new Uint8Array(0));
    const c = await raw();
    await c.writeEach(['01', 'r\x00\x00\x00\x05007nothing00000000']);
    await c.expectReceived('01R\x00\x00\x00\x0500000000');
  });

  it('idle past the read timeout after heartbeating: f00000003, then close', async () => {
    const { raw } = await ourServer(kind, { idleTimeout: 150 });
    const c = await raw();
    await c.writeEach(['01', 'h00025f63ee48']);
    await c.expectClosed(5000);
    expect(c.received.toString('latin1')).toBe('01f00000003');
  });

  it('unknown frame type: f00000002, then close', async () => {
    const { raw } = await ourServer(kind);
    const c = await raw();
    await c.writeEach(['01', 'x000100000000']);
    await c.expectClosed(5000);
    expect(c.received.toString('latin1')).toBe('01f00000002');
  });

  it('unsupported version 09: f00000001, then close; version xx is refused too', async () => {
    const { raw } = await ourServer(kind);
    const c = await raw();
    await c.write('09');
    await c.expectClosed(5000);
    expect(c.received.toString('latin1')).toBe('01f00000001');
    const d = await raw();
    await d.write('xx');
    await d.expectClosed(5000);
    expect(d.received.toString('latin1')).toMatch(/^01f0000000[12]$/);
  });
});

// ----- the other way: our client against a fake Go server -----

interface GoConn {
  /** One write: one socket write, or one WebSocket message. */
  write(data: Buffer): Promise<void>;
}

interface Parsed {
  readonly type: string;
  readonly id: Buffer;
  readonly op: string;
  readonly payload: Buffer;
}

/**
 * The reference server's behaviour in raw bytes: writes `01` on its own, answers with header
 * and payload as separate writes, uppercase hex sizes, ids echoed verbatim, a stray empty `S`
 * after every `E`, no heartbeats. Ops: echo, sjoin (stream, upper-cases), big (0xABCDE bytes),
 * slow (echo after the payload's `ms`), callme (requests `whoami` from the client with a Go
 * binary id and answers with its result), limited (first a retry result, then echo),
 * notifyme (sends notification `hello`, then echoes); anything else: unknown operation.
 */
class FakeGoServer {
  readonly seen: Parsed[] = [];
  readonly upgrades: IncomingHttpHeaders[] = [];
  /** WebSocket: every message received, as sent. */
  readonly messages: string[] = [];
  address = '';
  private limitedOnce = false;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly close: () => Promise<void>) {}

  static async start(kind: Kind): Promise<FakeGoServer> {
    let fake!: FakeGoServer;
    if (kind === 'ws') {
      const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
      const http = createHttpServer((_req, res) => res.writeHead(404).end());
      http.on('connection', (s) => fake.sockets.add(s));
      http.on('upgrade', (req, socket, head) => {
        fake.upgrades.push(req.headers);
        // The Go server requires an Origin header on the upgrade.
        if (!req.headers.origin || new URL(req.url ?? '/', 'http://x').pathname !== '/gotalk/') {
          socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => fake.serveWs(ws));
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      fake = new FakeGoServer(async () => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      });
      fake.address = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/gotalk/`;
    } else {
      const net: NetServer = createNetServer((socket) => fake.serveSocket(socket));
      let address: string;
      if (kind === 'unix') {
        const path = join(await tempDir(cleanup), 'go.sock');
        await new Promise<void>((resolve) => net.listen(path, resolve));
        address = `unix:${path}`;
      } else {
        await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', resolve));
        address = `tcp://127.0.0.1:${(net.address() as AddressInfo).port}`;
      }
      fake = new FakeGoServer(async () => {
        for (const s of fake.sockets) s.destroy();
        await new Promise<void>((resolve) => net.close(() => resolve()));
      });
      fake.address = address;
    }
    cleanup.add(() => fake.close());
    return fake;
  }

  private serveSocket(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const conn: GoConn = {
      write: (data) =>
        new Promise<void>((resolve) => {
          if (socket.destroyed) return resolve();
          socket.write(data, () => resolve());
        }).then(() => delay(2)),
    };
    const feed = this.session(conn);
    socket.on('data', feed);
  }

  private serveWs(ws: WebSocket): void {
    const conn: GoConn = {
      write: (data) =>
        new Promise<void>((resolve) => {
          if (ws.readyState !== ws.OPEN) return resolve();
          ws.send(data, { binary: true }, () => resolve());
        }),
    };
    const feed = this.session(conn);
    ws.on('message', (data: Buffer) => {
      this.messages.push(Buffer.from(data).toString('latin1'));
      feed(Buffer.from(data));
    });
    ws.on('error', () => {});
  }

  /** One connection: returns the function fed with incoming bytes. */
  private session(conn: GoConn): (chunk: Buffer) => void {
    let buffer = Buffer.alloc(0);
    let versionRead = false;
    let chain: Promise<void> = Promise.resolve();
    /** Writes in order, never interleaving two replies. */
    const send = (...pieces: (string | Buffer)[]) => {
      chain = chain.then(async () => {
        for (const p of pieces) if (p.length > 0) await conn.write(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
      });
    };
    const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
    const reply = (type: string, id: Buffer, payload: Buffer) =>
      send(Buffer.concat([Buffer.from(type, 'latin1'), id, Buffer.from(hex(payload.length, 8), 'latin1')]), payload);
    const streams = new Map<string, string>();
    const waitingForClient = new Map<string, (payload: Buffer) => void>();
    let nextOwnId = 0;

    const handle = (f: Parsed) => {
      this.seen.push(f);
      const key = f.id.toString('latin1');
      if (f.type === 'R' || f.type === 'E') {
        waitingForClient.get(key)?.(f.payload);
        waitingForClient.delete(key);
        return;
      }
      if (f.type === 'p') {
        if (!streams.has(key)) return;
        if (f.payload.length === 0) {
          streams.delete(key);
          return reply('S', f.id, Buffer.alloc(0));
        }
        return reply('S', f.id, Buffer.from(f.payload.toString('latin1').toUpperCase(), 'latin1'));
      }
      if (f.type !== 'r' && f.type !== 's') return; // h, n: nothing to answer
      if (f.type === 's' && f.op === 'sjoin') {
        streams.set(key, f.op);
        if (f.payload.length > 0) reply('S', f.id, Buffer.from(f.payload.toString('latin1').toUpperCase(), 'latin1'));
        return;
      }
      switch (f.op) {
        case 'echo':
          return reply('R', f.id, f.payload);
        case 'big':
          return reply('R', f.id, Buffer.alloc(0xabcde, 0x61));
        case 'slow': {
          const { ms } = JSON.parse(f.payload.toString()) as { ms: number };
          setTimeout(() => reply('R', f.id, f.payload), ms);
          return;
        }
        case 'limited':
          if (!this.limitedOnce) {
            this.limitedOnce = true;
            return send(Buffer.concat([Buffer.from('e', 'latin1'), f.id, Buffer.from(`${hex(0x10, 8)}${hex(18, 8)}`, 'latin1')]), 'request rate limit');
          }
          return reply('R', f.id, f.payload);
        case 'notifyme':
          send(`n005hello${hex(f.payload.length, 8)}`, f.payload);
          return reply('R', f.id, f.payload);
        case 'callme': {
          const own = Buffer.alloc(4);
          own.writeUInt32LE(nextOwnId++); // the Go client's binary counter
          waitingForClient.set(own.toString('latin1'), (payload) => reply('R', f.id, payload));
          return send(Buffer.concat([Buffer.from('r', 'latin1'), own, Buffer.from(`006whoami${hex(f.payload.length, 8)}`, 'latin1')]), f.payload);
        }
        default: {
          const text = Buffer.from(`unknown operation "${f.op}"`, 'latin1');
          reply('E', f.id, text);
          reply('S', f.id, Buffer.alloc(0)); // the reference's stray empty S after an E
        }
      }
    };

    const parse = (): Parsed | null => {
      const b = buffer;
      if (b.length < 1) return null;
      const type = String.fromCharCode(b[0]!);
      const num = (from: number, width: number) => parseInt(b.toString('latin1', from, from + width), 16);
      const take = (headerEnd: number, size: number, id: Buffer, op: string): Parsed | null => {
        if (b.length < headerEnd + size) return null;
        buffer = b.subarray(headerEnd + size);
        return { type, id, op, payload: Buffer.from(b.subarray(headerEnd, headerEnd + size)) };
      };
      switch (type) {
        case 'r':
        case 's': {
          if (b.length < 8) return null;
          const n = num(5, 3);
          if (b.length < 8 + n + 8) return null;
          return take(8 + n + 8, num(8 + n, 8), b.subarray(1, 5), b.toString('utf8', 8, 8 + n));
        }
        case 'p':
        case 'R':
        case 'S':
        case 'E':
          if (b.length < 13) return null;
          return take(13, num(5, 8), b.subarray(1, 5), '');
        case 'e':
          if (b.length < 21) return null;
          return take(21, num(13, 8), b.subarray(1, 5), '');
        case 'n': {
          if (b.length < 4) return null;
          const n = num(1, 3);
          if (b.length < 4 + n + 8) return null;
          return take(4 + n + 8, num(4 + n, 8), Buffer.alloc(0), b.toString('utf8', 4, 4 + n));
        }
        case 'h':
          return take(13, 0, Buffer.alloc(0), '');
        case 'f':
          return take(9, 0, Buffer.alloc(0), '');
        default:
          throw new Error(`fake Go server: unexpected frame type ${JSON.stringify(type)}`);
      }
    };

    send('01'); // the version, on its own, at once
    return (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!versionRead) {
        if (buffer.length < 2) return;
        if (buffer.toString('latin1', 0, 2) !== '01') throw new Error('fake Go server: bad version');
        versionRead = true;
        buffer = buffer.subarray(2);
      }
      for (let f = parse(); f; f = parse()) handle(f);
    };
  }
}

describe.each(KINDS)('our client against a fake Go server over %s', (kind) => {
  /** Our client connected to `fake`; the test fails if the client reports an error activity event before its end. */
  const connectTo = async (fake: FakeGoServer): Promise<Peer> => {
    const errors: Error[] = [];
    const peer = await connect(fake.address, {
      onActivity: (e) => {
        if (e.type === 'error') errors.push(e.error);
      },
    });
    cleanup.add(() => peer.destroy());
    // Run before the destroy above (cleanup runs last first): what the exchange itself reported.
    cleanup.add(() => expect(errors.map((e) => `${(e as { code?: string }).code}: ${e.message}`)).toEqual([]));
    return peer;
  };

  it('requests succeed; header and payload arrive as separate writes with uppercase hex', async () => {
    const fake = await FakeGoServer.start(kind);
    const client = await connectTo(fake);
    expect(await client.request('echo', { message: 'Hello World' })).toEqual({ message: 'Hello World' });
    const big = await client.requestBytes('big', new Uint8Array(0));
    expect(big.length).toBe(0xabcde);
    expect(big.every((b) => b === 0x61)).toBe(true);
    // Our ids are 4 bytes and unique among requests in flight.
    const requests = fake.seen.filter((f) => f.type === 'r');
    expect(requests.map((r) => r.id.length)).toEqual([4, 4]);
    expect(requests[0]!.id.equals(requests[1]!.id)).toBe(false);
  });

  it('concurrent requests answered out of order are matched by id', async () => {
    const fake = await FakeGoServer.start(kind);
    const client = await connectTo(fake);
    const delays = [60, 0, 40, 10, 30, 20, 50, 5];
    const results = await Promise.all(delays.map((ms, i) => client.request('slow', { ms, i })));
    expect(results).toEqual(delays.map((ms, i) => ({ ms, i })));
  });

  it('error text comes through as a RemoteError; the stray S after it is ignored', async () => {
    const fake = await FakeGoServer.start(kind);
    const client = await connectTo(fake);
    const errors: unknown[] = [];
    client.onActivity((e) => e.type === 'error' && errors.push(e.error));
    const err = await client.request('nope', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RemoteError', code: 'REMOTE_ERROR', message: 'unknown operation "nope"' });
    // The stray S came before the reply to this next request: once it is answered, the S was handled.
    expect(await client.request('echo', [1, 2, 3])).toEqual([1, 2, 3]);
    expect(client.open).toBe(true);
    await expect(client.request('also-unknown')).rejects.toThrow('unknown operation "also-unknown"');
    expect(await client.request('echo', 'after')).toBe('after');
    expect(errors).toEqual([]);
  });

  it('a stream request gets the S parts, ended by an empty S', async () => {
    const fake = await FakeGoServer.start(kind);
    const client = await connectTo(fake);
    const parts: string[] = [];
    for await (const p of client.stream('sjoin', [bytes('abc'), bytes('de'), bytes('f')])) parts.push(str(p));
    expect(parts).toEqual(['ABC', 'DE', 'F']);
    const frames = fake.seen.filter((f) => f.type === 's' || f.type === 'p').map((f) => `${f.type}${f.op}:${f.payload.toString()}`);
    expect(frames).toEqual(['ssjoin:abc', 'p:de', 'p:f', 'p:']);
  });

  it('a Go-style retry result is retried under a new id', async () => {
    const fake = await FakeGoServer.start(kind);
    const client = await connectTo(fake);
    expect(await client.request('limited', 'x')).toBe('x');
    const tries = fake.seen.filter((f) => f.type === 'r' && f.op === 'limited');
    expect(tries).toHaveLength(2);
  });

  it('the Go side calls our client back with a binary id; notifications arrive', async () => {
    const fake = await FakeGoServer.start(kind);
    const client = await connectTo(fake);
    client.handlers.handle('whoami', (v) => ({ me: 'ts-client', v }));
    const note = deferred<unknown>();
    client.handlers.onNotification('hello', (v) => note.resolve(v));
    expect(await client.request('callme', 42)).toEqual({ me: 'ts-client', v: 42 });
    const answer = fake.seen.find((f) => f.type === 'R');
    expect(answer?.id.toString('latin1')).toBe('\x00\x00\x00\x00');
    expect(await client.request('notifyme', 'n')).toBe('n');
    expect(await within(note.promise, 5000, 'the notification')).toBe('n');
  });

  if (kind === 'ws') {
    it('sends an Origin header on the upgrade (the Go server requires one)', async () => {
      const fake = await FakeGoServer.start(kind);
      await connectTo(fake);
      const port = new URL(fake.address).port;
      expect(fake.upgrades).toHaveLength(1);
      expect(fake.upgrades[0]!.origin).toBe(`http://127.0.0.1:${port}`);
      // The fake really refuses an upgrade without one.
      await expect(rawWebSocket(fake.address)).rejects.toMatchObject({ status: 403 });
      const custom = await connect(fake.address, { origin: 'https://app.example' });
      cleanup.add(() => custom.destroy());
      expect(fake.upgrades[2]!.origin).toBe('https://app.example');
    });

    it('with splitMessages, sends the version, each header and each payload as separate messages', async () => {
      const fake = await FakeGoServer.start(kind);
      const client = await connect(fake.address, { splitMessages: true, heartbeatInterval: 0 });
      cleanup.add(() => client.destroy());
      expect(await client.request('echo', 'hi')).toBe('hi');
      client.notify('note', 1);
      await waitFor(() => fake.messages.length >= 5, 'five messages');
      expect(fake.messages).toEqual(['01', 'r\x00\x00\x00\x00004echo00000004', '"hi"', 'n004note00000001', '1']);
    });
  }
});

describe('WebSocket split mode', () => {
  it('sends the version, each header and each payload as separate messages', async () => {
    const { server, raw } = await ourServer('ws', { ws: { splitMessages: true, bundle: null } });
    server.handlers.handleBytes('two', () => bytes('ab'));
    const c = await raw();
    await c.writeEach(['01', 'r0001004echo00000019{"message":"Hello World"}']);
    await c.expectReceived('01R000100000019{"message":"Hello World"}');
    expect(c.chunks.map((m) => m.toString('latin1'))).toEqual(['01', 'R000100000019', '{"message":"Hello World"}']);
    // Several frames written together still go out one message per header and payload.
    await c.writeEach(['r0002003two00000000r0003004nope00000000s0004005sjoin00000001xp000400000000']);
    await waitFor(() => c.chunks.length >= 10, 'ten messages');
    expect(c.chunks.slice(3).map((m) => m.toString('latin1'))).toEqual([
      'R000200000002',
      'ab',
      'E000300000018',
      'unknown operation "nope"',
      'S000400000001',
      'X',
      'S000400000000',
    ]);
    expect(c.chunks.every((m) => m.length > 0)).toBe(true);
  });

  it('includes heartbeats as their own messages', async () => {
    const { raw } = await ourServer('ws', { ws: { splitMessages: true, bundle: null }, heartbeatInterval: 60_000 });
    const c = await raw();
    await c.write('01');
    await waitFor(() => c.chunks.length >= 2, 'the version and a heartbeat');
    expect(c.chunks[0]!.toString('latin1')).toBe('01');
    expect(c.chunks[1]!.toString('latin1')).toMatch(/^h[0-9a-f]{12}$/);
  });
});
