// WebSocket endpoints: mounting on an existing HTTP server, serving gotalk.js, the origin
// policy, byte-stream reading of arbitrarily split messages, and big payloads.
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, listen, makeBundle, NodeError, Server, type Peer, type ServerOptions } from '@gotalk/node';
import { Cleanup, waitFor } from '@gotalk/test-kit';
import { serve } from '@gotalk/test-kit/node';
import { type RawConnection, rawWebSocket } from './support.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A WebSocket server (stopped by cleanup) with an `echo` operation. */
async function echoServer(options: ServerOptions = {}): Promise<Server> {
  const server = await serve(cleanup, 'ws://127.0.0.1:0/gotalk/', options);
  server.handlers.handle('echo', (v) => v);
  return server;
}

async function dial(address: string, origin?: string): Promise<Peer> {
  const peer = await connect(address, origin === undefined ? {} : { origin });
  cleanup.add(() => peer.destroy());
  return peer;
}

async function raw(url: string, origin?: string): Promise<RawConnection> {
  const conn = await rawWebSocket(url, origin === undefined ? {} : { origin });
  cleanup.add(() => conn.close());
  return conn;
}

interface Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The HTTP status an upgrade is refused with, or 101 when it succeeds. */
async function upgradeStatus(url: string, origin?: string): Promise<number> {
  try {
    const conn = await rawWebSocket(url, origin === undefined ? {} : { origin });
    conn.close();
    return 101;
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === undefined) throw err;
    return status;
  }
}

const httpUrl = (wsAddress: string, path: string): string => {
  const u = new URL(wsAddress);
  return `http://${u.host}${path}`;
};

describe('mounting on an existing HTTP server', () => {
  async function appServer(): Promise<{ http: HttpServer; base: string; gotalk: Server }> {
    const http = createHttpServer((req, res) => {
      // A typical application handler, with a catch-all 404.
      if (req.url === '/hello') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('hello from the app');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('app 404');
    });
    const gotalk = new Server({ ws: { bundle: makeBundle('console.log(1)') } });
    const endpoint = await gotalk.attach(http, { path: '/gotalk/' });
    expect(endpoint.path).toBe('/gotalk/');
    expect(gotalk.addresses).toEqual([]); // the HTTP server does not listen yet
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    // Now it does: the endpoint is listed with its real URL, usable as it is.
    expect(gotalk.addresses).toEqual([`ws://127.0.0.1:${(http.address() as AddressInfo).port}/gotalk/`]);
    cleanup.add(async () => {
      for (const p of gotalk.peers) p.destroy();
      await gotalk.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    });
    gotalk.handlers.handle('echo', (v) => v);
    return { http, base: `127.0.0.1:${(http.address() as AddressInfo).port}`, gotalk };
  }

  it('serves Gotalk at the path while the app keeps its other routes', async () => {
    const { base, gotalk } = await appServer();
    const client = await dial(gotalk.addresses[0]!);
    expect(await client.request('echo', 'over the app server')).toBe('over the app server');
    expect(gotalk.peers.size).toBe(1);
    const hello = await get(`http://${base}/hello`);
    expect(hello.status).toBe(200);
    expect(hello.body.toString()).toBe('hello from the app');
    const missing = await get(`http://${base}/elsewhere`);
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).toBe('app 404');
  });

  it('serves <path>gotalk.js without the app handler also answering', async () => {
    const { base } = await appServer();
    const js = await get(`http://${base}/gotalk/gotalk.js`);
    expect(js.status).toBe(200);
    expect(js.body.toString()).toBe('console.log(1)');
    // The app still works afterwards (the server did not crash on a double answer).
    expect((await get(`http://${base}/hello`)).status).toBe(200);
  });

  it('refuses upgrades at other paths when the app does not handle upgrades', async () => {
    const { base } = await appServer();
    await expect(rawWebSocket(`ws://${base}/other/`)).rejects.toThrow();
    await expect(connect(`ws://${base}/other/`, { connectTimeout: 5000 })).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    expect(await (await dial(`ws://${base}/gotalk/`)).request('echo', 'ok')).toBe('ok');
  });

  it('gives the app its request handling back when the Gotalk server closes', async () => {
    const { base, gotalk } = await appServer();
    expect((await get(`http://${base}/gotalk/gotalk.js`)).status).toBe(200);
    await gotalk.close();
    const js = await get(`http://${base}/gotalk/gotalk.js`);
    expect(js.status).toBe(404);
    expect(js.body.toString()).toBe('app 404');
    expect((await get(`http://${base}/hello`)).body.toString()).toBe('hello from the app');
  });
});

describe('serving gotalk.js', () => {
  const bundle = makeBundle('console.log(1)');

  it('serves the bundle with an ETag, 304 on If-None-Match, gzip when accepted', async () => {
    const server = await echoServer({ ws: { bundle } });
    const url = httpUrl(server.addresses[0]!, '/gotalk/gotalk.js');
    const plain = await get(url);
    expect(plain.status).toBe(200);
    expect(plain.body.toString()).toBe('console.log(1)');
    expect(plain.headers['content-type']).toMatch(/javascript/);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.etag).toBe(bundle.etag);
    expect(plain.headers.etag).toMatch(/^"[^"]+"$/);

    const again = await get(url, { 'if-none-match': bundle.etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(bundle.etag);

    const stale = await get(url, { 'if-none-match': '"something-else"' });
    expect(stale.status).toBe(200);

    const gz = await get(url, { 'accept-encoding': 'br, gzip;q=0.8' });
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toMatch(/accept-encoding/i);
    expect(gunzipSync(gz.body).toString()).toBe('console.log(1)');

    const head = await get(url, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('bundle requests: If-None-Match lists, weak tags and *; gzip refused with q=0; other methods 405', async () => {
    const server = await echoServer({ ws: { bundle } });
    const url = httpUrl(server.addresses[0]!, '/gotalk/gotalk.js');
    for (const tags of [`"a", ${bundle.etag}`, `W/${bundle.etag}`, '*']) expect((await get(url, { 'if-none-match': tags })).status, tags).toBe(304);
    expect((await get(url, { 'if-none-match': '"a", W/"b"' })).status).toBe(200);
    for (const [accept, gzip] of [
      ['gzip;q=0, identity', false],
      ['GZIP', true],
      ['*;q=0.5', true],
      ['br;q=1, *;q=0', false],
      ['identity', false],
    ] as const) {
      const res = await get(url, { 'accept-encoding': accept });
      expect(res.headers['content-encoding'], accept).toBe(gzip ? 'gzip' : undefined);
      expect((gzip ? gunzipSync(res.body) : res.body).toString(), accept).toBe('console.log(1)');
    }
    for (const method of ['POST', 'DELETE', 'OPTIONS']) {
      const res = await get(url, {}, method);
      expect(res.status, method).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
    }
  });

  it('the ETag changes with the content', () => {
    expect(makeBundle('console.log(2)').etag).not.toBe(bundle.etag);
    expect(makeBundle(Buffer.from('console.log(1)')).etag).toBe(bundle.etag);
  });

  it('answers 404 with a clear message when there is no bundle', async () => {
    const server = await echoServer({ ws: { bundle: null } });
    const res = await get(httpUrl(server.addresses[0]!, '/gotalk/gotalk.js'));
    expect(res.status).toBe(404);
    expect(res.body.toString()).toMatch(/gotalk\.js is not built/);
  });

  it('answers 404 naming the endpoint for other paths of a ws listener', async () => {
    const server = await echoServer({ ws: { bundle } });
    const res = await get(httpUrl(server.addresses[0]!, '/index.html'));
    expect(res.status).toBe(404);
    expect(res.body.toString()).toContain('/gotalk/');
  });
});

describe('origin policy', () => {
  it('by default allows no Origin and same-host origins, and refuses foreign ones with 403', async () => {
    const server = await echoServer();
    const address = server.addresses[0]!;
    const host = new URL(address).host;
    expect(await upgradeStatus(address)).toBe(101);
    expect(await upgradeStatus(address, `http://${host}`)).toBe(101);
    expect(await upgradeStatus(address, `https://${host}`)).toBe(101);
    expect(await upgradeStatus(address, 'http://evil.example')).toBe(403);
    expect(await upgradeStatus(address, `http://${new URL(address).hostname}:1`)).toBe(403);
    expect(await upgradeStatus(address, 'null')).toBe(403);
    // Our client's default origin is the server's own.
    expect(await (await dial(address)).request('echo', 1)).toBe(1);
    const refused = await connect(address, { origin: 'http://evil.example' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'CONNECT_FAILED' });
    expect((refused as Error).message).toContain('403');
  });

  it('a list allows exactly its entries', async () => {
    const server = await echoServer({ ws: { bundle: null, origins: ['https://app.example', 'http://localhost:3000'] } });
    const address = server.addresses[0]!;
    expect(await upgradeStatus(address, 'https://app.example')).toBe(101);
    expect(await upgradeStatus(address, 'http://localhost:3000')).toBe(101);
    expect(await upgradeStatus(address, 'https://app.example:8443')).toBe(403);
    expect(await upgradeStatus(address, 'http://app.example')).toBe(403);
    expect(await upgradeStatus(address, `http://${new URL(address).host}`)).toBe(403);
    expect(await upgradeStatus(address)).toBe(403);
  });

  it("'*' allows every origin, and none", async () => {
    const server = await echoServer({ ws: { bundle: null, origins: '*' } });
    const address = server.addresses[0]!;
    for (const origin of [undefined, 'http://evil.example', 'null', 'https://app.example']) {
      expect(await upgradeStatus(address, origin)).toBe(101);
    }
  });

  it('a predicate decides with the origin and the request', async () => {
    const server = await echoServer({ ws: { bundle: null, origins: (origin, req) => origin.endsWith('.trusted.example') && req.url === '/gotalk/' } });
    const address = server.addresses[0]!;
    expect(await upgradeStatus(address, 'https://a.trusted.example')).toBe(101);
    expect(await upgradeStatus(address, 'https://untrusted.example')).toBe(403);
  });
});

/**
 * Sends a WebSocket upgrade to `address` with the `Host` and `Origin` headers given (a browser
 * always sends an Origin; leave it out for a program) and resolves with the status and body.
 */
function upgradeAs(address: string, host: string, origin?: string): Promise<{ status: number; body: string }> {
  const { hostname, port, pathname } = new URL(address);
  const request = [
    `GET ${pathname} HTTP/1.1`,
    `Host: ${host}`,
    ...(origin === undefined ? [] : [`Origin: ${origin}`]),
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(port), hostname, () => socket.write(`${request}\r\n\r\n`));
    let reply = '';
    const done = () => {
      socket.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);
      resolve({ status, body: reply.slice(reply.indexOf('\r\n\r\n') + 4) });
    };
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      // A 101 keeps the connection open: its headers are all there is to read.
      if (reply.startsWith('HTTP/1.1 101') && reply.includes('\r\n\r\n')) done();
    });
    socket.on('end', done);
    socket.on('error', reject);
  });
}

describe('host check (DNS rebinding)', () => {
  it('refuses a rebinding page (Host and Origin both evil.example) with 403 naming allowedHosts, and tells onRefused', async () => {
    const refusals: NodeError[] = [];
    const server = await echoServer({ ws: { bundle: null, onRefused: (err) => refusals.push(err) } });
    const address = server.addresses[0]!;
    const port = new URL(address).port;
    // The default origin policy alone lets this through: the Origin names the request's own Host.
    const res = await upgradeAs(address, `evil.example:${port}`, `http://evil.example:${port}`);
    expect(res.status).toBe(403);
    expect(res.body).toContain('allowedHosts');
    expect(res.body).toContain('--allow-host evil.example');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toBeInstanceOf(NodeError);
    expect(refusals[0]).toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    // A page under a name that only looks local is refused too.
    for (const name of ['localhost.evil.example', '127.0.0.1.nip.io', 'evil.example.']) {
      expect((await upgradeAs(address, `${name}:${port}`, `http://${name}:${port}`)).status, name).toBe(403);
    }
    expect(server.peers.size).toBe(0);
  });

  it('lets pages reach the server by loopback names and IP literals', async () => {
    const server = await echoServer();
    const address = server.addresses[0]!;
    const port = new URL(address).port;
    for (const host of ['localhost', 'LocalHost', 'localhost.', 'app.localhost', '127.0.0.1', '[::1]', '[fe80::1]', '10.1.2.3']) {
      expect((await upgradeAs(address, `${host}:${port}`, `http://${host}:${port}`)).status, host).toBe(101);
    }
    // A Host without a port, as behind a proxy on port 80.
    expect((await upgradeAs(address, 'localhost', 'http://localhost')).status).toBe(101);
  });

  it('allowedHosts adds names (a leading dot: the name and its subdomains); * allows every host', async () => {
    const server = await echoServer({ ws: { bundle: null, allowedHosts: ['app.example', '.corp.example'] } });
    const address = server.addresses[0]!;
    const page = async (host: string) => (await upgradeAs(address, host, `https://${host}`)).status;
    expect(await page('app.example')).toBe(101);
    expect(await page('APP.example')).toBe(101);
    expect(await page('corp.example')).toBe(101);
    expect(await page('a.b.corp.example')).toBe(101);
    expect(await page('localhost')).toBe(101);
    expect(await page('x.app.example')).toBe(403);
    expect(await page('app.example.evil')).toBe(403);
    expect(await page('evilcorp.example')).toBe(403);
    const any = await echoServer({ ws: { bundle: null, allowedHosts: '*' } });
    expect((await upgradeAs(any.addresses[0]!, 'evil.example', 'http://evil.example')).status).toBe(101);
  });

  it('does not check programs (no Origin), and refuses a page whose Host is malformed or missing', async () => {
    const server = await echoServer();
    const address = server.addresses[0]!;
    expect((await upgradeAs(address, 'gotalk.internal:1234')).status).toBe(101);
    // Any origin, so that only the host check can refuse.
    const anyOrigin = await echoServer({ ws: { bundle: null, origins: '*' } });
    for (const host of ['evil.example@127.0.0.1', '127.0.0.1/x', '[::1', '127.0.0.1:99999999', 'local host', '']) {
      expect((await upgradeAs(anyOrigin.addresses[0]!, host, 'http://127.0.0.1')).status, JSON.stringify(host)).toBe(403);
    }
  });

  it('the host check comes before and besides the origin policy; a refused origin is ORIGIN_NOT_ALLOWED', async () => {
    const refusals: string[] = [];
    const server = await echoServer({ ws: { bundle: null, origins: '*', onRefused: (err) => refusals.push(err.code) } });
    const address = server.addresses[0]!;
    expect((await upgradeAs(address, 'evil.example', 'http://evil.example')).status).toBe(403);
    expect((await upgradeAs(address, '127.0.0.1', 'http://evil.example')).status).toBe(101);
    const strict = await echoServer({ ws: { bundle: null, onRefused: (err) => refusals.push(err.code) } });
    expect((await upgradeAs(strict.addresses[0]!, '127.0.0.1', 'http://evil.example')).status).toBe(403);
    expect(refusals).toEqual(['HOST_NOT_ALLOWED', 'ORIGIN_NOT_ALLOWED']);
  });

  it('a hook or an origin predicate that throws neither crashes the server nor lets the request in', async () => {
    const server = await echoServer({
      ws: {
        bundle: null,
        origins: () => {
          throw new Error('predicate bug');
        },
        onRefused: () => {
          throw new Error('hook bug');
        },
      },
    });
    const address = server.addresses[0]!;
    expect((await upgradeAs(address, 'evil.example', 'http://evil.example')).status).toBe(403);
    expect((await upgradeAs(address, '127.0.0.1', 'http://127.0.0.1')).status).toBe(403);
    expect(await connect(address).catch((e: unknown) => e)).toMatchObject({ code: 'CONNECT_FAILED' });
  });

  it('an allowedHosts entry that is not a host name fails listen() with a TypeError naming it', async () => {
    for (const bad of ['example.com:8080', 'http://example.com', '', 'a b']) {
      const err = await listen('ws://127.0.0.1:0/gotalk/', { ws: { bundle: null, allowedHosts: [bad] } }).then(
        async (s) => {
          await s.close();
          return null;
        },
        (e: unknown) => e,
      );
      expect(err, bad).toBeInstanceOf(TypeError);
      expect((err as Error).message).toContain(JSON.stringify(bad));
    }
  });

  it('gotalk.js is served whatever the host (it is public; any page can load it with a script tag)', async () => {
    const server = await listen('ws://127.0.0.1:0/gotalk/', { ws: { bundle: makeBundle('/* js */') } });
    cleanup.add(() => server.close());
    const res = await get(httpUrl(server.addresses[0]!, '/gotalk/gotalk.js'), { host: 'evil.example', origin: 'http://evil.example' });
    expect(res.status).toBe(200);
  });
});

describe('the WebSocket byte stream', () => {
  it('reads messages split at arbitrary points (one byte per message) as one byte stream', async () => {
    const server = await echoServer({ heartbeatInterval: 0 });
    const conn = await raw(server.addresses[0]!);
    const exchange = '01r\x00\x00\x00\x01004echo00000019{"message":"Hello World"}n004note00000002{}r\x00\x00\x00\x02004echo000000021';
    await conn.writeEach([...exchange]);
    // The second request's payload is split across a header message boundary, too.
    await conn.write('2');
    await conn.expectReceived('01R\x00\x00\x00\x0100000019{"message":"Hello World"}R\x00\x00\x00\x020000000212');
  });

  it('reads several frames in one message', async () => {
    const server = await echoServer({ heartbeatInterval: 0 });
    const conn = await raw(server.addresses[0]!);
    await conn.write('01r0001004echo00000001' + '1r0002004echo00000001' + '2r0003004nope00000000');
    await conn.expectReceived('01R0001000000011R0002000000012E000300000018unknown operation "nope"');
  });

  it('carries 2 MiB payloads both ways', async () => {
    const server = await echoServer();
    server.handlers.handleBytes('echo-bytes', (p) => p);
    const client = await dial(server.addresses[0]!);
    client.handlers.handleBytes('echo-bytes', (p) => p);
    const big = randomBytes(2 * 1024 * 1024);
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const back = await client.requestBytes('echo-bytes', big);
    expect(back.length).toBe(big.length);
    expect(sha(back)).toBe(sha(big));
    const [serverPeer] = [...server.peers];
    expect(sha(await serverPeer!.requestBytes('echo-bytes', big))).toBe(sha(big));
  });

  it('a server in split mode still reads a client that batches', async () => {
    const server = await echoServer({ ws: { bundle: null, splitMessages: true } });
    const client = await dial(server.addresses[0]!);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.request('echo', { i })));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => ({ i })));
  });
});

describe('message size', () => {
  it('refuses a WebSocket message larger than one frame under the payload limit (ws buffers messages whole)', async () => {
    const server = await echoServer({ limits: { maxPayload: 64 * 1024 } });
    const { WebSocket } = await import('ws');
    const socket = new WebSocket(server.addresses[0]!);
    cleanup.add(() => socket.terminate());
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(new Uint8Array(3 * 1024 * 1024)); // more than messageLimit(64 KiB) = 1 MiB + a header
    expect(await closed).toBe(1009); // "message too big"
  });

  it('cuts batches bigger than one message into pieces the other side accepts', async () => {
    const server = await echoServer({ limits: { maxPayload: 1024 * 1024 } });
    server.handlers.handleBytes('size', (payload) => new TextEncoder().encode(String(payload.length)));
    const client = await dial(server.addresses[0]!);
    // Three 900 KiB requests in one tick: one batch of 2.7 MB, over the 1 MiB message limit.
    const sizes = await Promise.all([1, 2, 3].map(() => client.requestBytes('size', new Uint8Array(900 * 1024))));
    expect(sizes.map((s) => new TextDecoder().decode(s))).toEqual(['921600', '921600', '921600']);
  });
});

describe('hostile HTTP', () => {
  it('survives request targets that URL parsing rejects (GET //) and keeps serving', async () => {
    const server = await echoServer();
    server.handlers.handle('ping', () => 'pong');
    const { port } = new URL(server.addresses[0]!);
    const { connect: rawConnect } = await import('node:net');
    for (const target of ['//', '//%', '//[']) {
      for (const upgrade of [false, true]) {
        const reply = await new Promise<string>((resolve) => {
          const socket = rawConnect(Number(port), '127.0.0.1');
          let data = '';
          socket.on('data', (d) => (data += d.toString()));
          socket.on('close', () => resolve(data));
          socket.on('error', () => resolve(data));
          const headers = upgrade
            ? 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
            : 'Connection: close\r\n';
          socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`);
        });
        expect(reply).toMatch(/^HTTP\/1\.1 404/);
      }
    }
    const client = await dial(server.addresses[0]!);
    expect(await client.request('ping')).toBe('pong');
  });

  it('attach() after a closed attach() on the same HTTP server accepts WebSockets again', async () => {
    const http = createHttpServer((_req, res) => res.end('app'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const first = new Server();
    await first.attach(http);
    await first.close();
    const second = new Server();
    cleanup.add(() => second.close());
    second.handlers.handle('which', () => 'second');
    await second.attach(http);
    const client = await dial(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/gotalk/`);
    expect(await client.request('which')).toBe('second');
  });
});

describe('close codes', () => {
  /** A plain `ws` client that completes the handshake and resolves with the close code it gets. */
  function closeCodeOf(address: string): { opened: Promise<void>; code: Promise<number> } {
    const socket = new WebSocket(address);
    socket.on('error', () => {});
    const opened = new Promise<void>((resolve) => socket.once('open', () => (socket.send(Buffer.from('01')), resolve())));
    const code = new Promise<number>((resolve) => socket.once('close', (c: number) => resolve(c)));
    cleanup.add(() => socket.terminate());
    return { opened, code };
  }

  it('a peer the application closes sends 1000; Server.close() sends 1001 (going away)', async () => {
    const server = await listen('ws://127.0.0.1:0/gotalk/', { ws: { bundle: null } });
    const address = server.addresses[0]!;
    const first = closeCodeOf(address);
    await first.opened;
    await waitFor(() => server.peers.size === 1, 'the peer');
    const [peer] = server.peers;
    await peer!.close();
    expect(await first.code).toBe(1000);
    const second = closeCodeOf(address);
    await second.opened;
    await waitFor(() => server.peers.size === 1, 'the peer');
    await server.close();
    expect(await second.code).toBe(1001);
  });

  it("Server.close() called by a 'connection' listener still sends that connection 1001", async () => {
    const server = await listen('ws://127.0.0.1:0/gotalk/', { ws: { bundle: null } });
    server.once('connection', () => void server.close());
    const client = closeCodeOf(server.addresses[0]!);
    await client.opened;
    expect(await client.code).toBe(1001);
  });

  it('forgets the WebSocket transports of connections that ended', async () => {
    const server = await listen('ws://127.0.0.1:0/gotalk/', { ws: { bundle: null } });
    cleanup.add(() => server.close());
    // White-box: the table the server says goodbye from must not keep ended connections.
    const table = (server as unknown as { webSockets: Map<unknown, unknown> }).webSockets;
    for (let i = 0; i < 3; i++) {
      const peer = await connect(server.addresses[0]!);
      await waitFor(() => table.size === 1, 'the connection in the table');
      await peer.close();
      await waitFor(() => table.size === 0 && server.peers.size === 0, 'the table emptied');
    }
  });
});

describe('WebSocket close codes', () => {
  it.each([1000, 1001, 1005, 1012])('a server that closes with %i ends the connection cleanly (reason remote, no error), as in the browser', async (code) => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanup.add(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      ws.send(Buffer.from('01'));
      setTimeout(() => (code === 1005 ? ws.close() : ws.close(code)), 20);
    });
    const peer = await connect(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
    const info = await peer.closed;
    expect(info).toEqual({ reason: 'remote', error: null });
  });

  it('any other code is an abnormal end', async () => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanup.add(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      ws.send(Buffer.from('01'));
      setTimeout(() => ws.close(1011), 20);
    });
    const peer = await connect(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
    const info = await peer.closed;
    expect(info.reason).toBe('transport');
    expect(info.error?.cause).toMatchObject({ message: 'WebSocket closed with code 1011' });
  });
});
