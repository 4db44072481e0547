// The browser client in a real browser: headless Chromium loads the bundle from a real Node
// server's <path>gotalk.js and talks to it both ways, through a server restart; then the demo
// app is loaded and a screenshot saved (to .artifacts/demo.png at the workspace root).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createProxy, defineContract, notification, operation, RemoteError, RetryLater, streamOperation, type Peer, type Server } from '@gotalk/node';
import { z } from 'zod';
import { waitFor, within } from '@gotalk/test-kit';
import { restartableAddress, serve, startGroup, type ProcessGroup } from '@gotalk/test-kit/node';
import { useChromium } from './chromium.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const { cleanup, newPage } = useChromium();

/** A Gotalk WebSocket server serving the real built bundle (found by @gotalk/node itself), stopped after the test. */
async function serveApp(address = 'ws://127.0.0.1:0/gotalk/'): Promise<Server> {
  const server = await serve(cleanup, address, { ws: {}, heartbeatInterval: 200 });
  server.handlers.handle('echo', (v) => v);
  server.handlers.handle('fail', () => {
    throw new Error('this operation always fails');
  });
  server.handlers.handleStream('upper', async function* (parts) {
    for await (const p of parts) yield new TextEncoder().encode(new TextDecoder().decode(p).toUpperCase());
  });
  return server;
}

/** A page on the server's origin with gotalk.js loaded by a plain <script src>, and a client `c`. */
async function openPage(server: Server, clientOptions = '{ heartbeatInterval: 200, reconnect: { minDelay: 50, maxDelay: 300 } }'): Promise<Page> {
  const base = server.addresses[0]!.replace(/^ws/, 'http');
  const page = await newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base);
  await page.setContent(`<!doctype html><title>t</title><script src="${base}gotalk.js"></script>`);
  await page.evaluate(`
    window.events = [];
    window.c = gotalk.connect(undefined, ${clientOptions});
    c.on('open', () => events.push('open'));
    c.on('reconnecting', (e) => events.push('reconnecting'));
    window.opened = new Promise((resolve) => c.on('open', resolve));
  `);
  await page.evaluate('opened');
  expect(errors).toEqual([]);
  return page;
}

function nextConnection(server: Server): Promise<Peer> {
  return new Promise((resolve) => server.once('connection', resolve));
}

describe('the browser client in Chromium', () => {
  it('loads the bundle from <path>gotalk.js and derives the endpoint from it', async () => {
    const server = await serveApp();
    const base = server.addresses[0]!.replace(/^ws/, 'http');
    const res = await fetch(`${base}gotalk.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toMatch(/^".+"$/);
    const page = await openPage(server);
    expect(await page.evaluate('typeof gotalk.connect')).toBe('function');
    expect(await page.evaluate('c.url')).toBe(server.addresses[0]);
  });

  it('makes requests both ways: the page calls the server and serves the server', async () => {
    const server = await serveApp();
    const connected = nextConnection(server);
    const page = await openPage(server);
    expect(await page.evaluate(`c.request('echo', { hello: 'from the page', n: [1, 2, 3] })`)).toEqual({ hello: 'from the page', n: [1, 2, 3] });
    await page.evaluate(`c.handlers.handle('page.add', ({ a, b }) => a + b)`);
    const peer = await connected;
    expect(await peer.request('page.add', { a: 2, b: 40 })).toBe(42);
    // UTF-8 sizes are byte counts, non-BMP characters included (gotalk.js 1.2 got this wrong).
    expect(await page.evaluate(`c.request('echo', 'héllo 🌍 ✓')`)).toBe('héllo 🌍 ✓');
  });

  it('streams: a stream request from the page, and a stream result served by the page', async () => {
    const server = await serveApp();
    const connected = nextConnection(server);
    const page = await openPage(server);
    const parts = await page.evaluate(`(async () => {
      const enc = new TextEncoder(), dec = new TextDecoder(), out = [];
      for await (const p of c.stream('upper', ['one', 'two', 'three'].map((s) => enc.encode(s)))) out.push(dec.decode(p));
      return out;
    })()`);
    expect(parts).toEqual(['ONE', 'TWO', 'THREE']);
    await page.evaluate(`c.handlers.handleStream('page.count', async function* (parts) {
      let n = 0;
      for await (const p of parts) n += p.length;
      for (let i = 1; i <= 3; i++) yield new TextEncoder().encode(n + ':' + i);
    })`);
    const peer = await connected;
    const got: string[] = [];
    for await (const p of peer.stream('page.count', [new Uint8Array(5), new Uint8Array(7)])) got.push(new TextDecoder().decode(p));
    expect(got).toEqual(['12:1', '12:2', '12:3']);
  });

  it('sends and receives notifications', async () => {
    const server = await serveApp();
    const connected = nextConnection(server);
    const heard = new Promise<unknown>((resolve) => server.handlers.onNotification('page.says', (v) => resolve(v)));
    const page = await openPage(server);
    await page.evaluate(`window.inbox = []; c.handlers.onNotification('server.says', (v) => inbox.push(v))`);
    await page.evaluate(`c.notify('page.says', { text: 'hi server' })`);
    expect(await heard).toEqual({ text: 'hi server' });
    (await connected).notify('server.says', { text: 'hi page' });
    await page.waitForFunction('inbox.length === 1');
    expect(await page.evaluate('inbox')).toEqual([{ text: 'hi page' }]);
  });

  it('gets an error result and rides out a retry result', async () => {
    const server = await serveApp();
    let attempts = 0;
    server.handlers.handle('flaky', () => {
      attempts++;
      if (attempts < 3) throw new RetryLater(30, 'busy, try again');
      return 'finally';
    });
    const page = await openPage(server);
    const error = await page.evaluate(`c.request('fail').then(() => null, (e) => ({ name: e.name, code: e.code, message: e.message }))`);
    expect(error).toEqual({ name: 'RemoteError', code: 'REMOTE_ERROR', message: 'this operation always fails' });
    expect(await page.evaluate(`c.request('flaky')`)).toBe('finally');
    expect(attempts).toBe(3);
    server.handlers.handle('always-busy', () => {
      throw new RetryLater(10, 'always busy');
    });
    const exhausted = await page.evaluate(`c.request('always-busy', null, { retries: 1 }).then(() => null, (e) => [e.code, e.attempts])`);
    expect(exhausted).toEqual(['RETRY_EXHAUSTED', 2]);
  });

  it('reconnects after the server restarts: handlers stay registered, queued requests go out, fail mode rejects at once', async () => {
    // Each step has a bound of its own (within the test's), so a failure names the step.
    const step = <T>(what: string, p: Promise<T>) => within(p, 15_000, what);
    const server = await serveApp(await restartableAddress());
    const address = server.addresses[0]!;
    const page = await openPage(server);
    await page.evaluate(`c.handlers.handle('page.name', () => 'still here')`);
    await page.evaluate(`window.failer = gotalk.connect(undefined, { offline: 'fail', reconnect: { minDelay: 50, maxDelay: 300 } });
      window.failerOpen = new Promise((r) => failer.on('open', r))`);
    await step('the second client opening', page.evaluate('failerOpen'));

    // The server goes away (it closes with 1001, going away), and comes back on the same port.
    await step('the server closing', server.close());
    // Polled on an interval: the default polls on animation frames, which a busy or hidden page may not run.
    await step('the page seeing the connection end', page.waitForFunction('!c.connected', undefined, { polling: 50, timeout: 15_000 }));
    const queued = page.evaluate(`c.request('echo', 'sent while the server was down')`);
    const failed = await step('the fail-mode request', page.evaluate(`failer.request('echo', 1).then(() => 'resolved', (e) => e.code)`));
    expect(failed).toBe('OFFLINE');
    await page.evaluate('failer.close()');

    const again = await step('the server starting again', serveApp(address));
    const connected = nextConnection(again);
    expect(await step('the queued request', queued)).toBe('sent while the server was down');
    const peer = await step('the reconnection', connected);
    expect(await step('the call to the page', peer.request('page.name'))).toBe('still here');
    expect(await page.evaluate(`events.filter((e) => e === 'open').length`)).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

describe('contracts and middleware in Chromium', () => {
  it('a page calls a contract through a proxy, implements its own, and the server calls it back; middleware on both sides', async () => {
    const server = await serveApp();
    const service = defineContract({
      greet: operation({ input: z.object({ name: z.string().min(1) }), output: z.object({ greeting: z.string() }) }),
      countdown: streamOperation({ input: z.number().int(), output: z.number() }),
      hello: notification(z.object({ from: z.string() })),
      askPage: operation({ name: 'ask-page', input: z.string(), output: z.string() }),
    });
    // The page's own contract, as the server calls it.
    const page = defineContract({ ask: operation({ input: z.string(), output: z.string() }) });
    const heard: string[] = [];
    const log: string[] = [];
    server.handlers.use((call, next) => {
      log.push(`${call.kind} ${call.op}`);
      if (call.op === 'greet' && (call.input as { name?: string }).name === 'mallory') throw new RemoteError('not you', { code: 'FORBIDDEN' });
      return next();
    });
    server.handlers.implement(service, {
      greet: ({ name }) => ({ greeting: `Hello ${name}` }),
      countdown: function* (inputs) {
        void inputs;
        yield* [3, 2, 1];
      },
      hello: ({ from }) => void heard.push(from),
      askPage: (question, ctx) => createProxy(ctx.peer, page).ask(question),
    });
    const tab = await openPage(server);
    const result = await tab.evaluate(`(async () => {
      // The same contract on the page, typed only (no schema library on the page): the server checks the input.
      const service = gotalk.defineContract({
        greet: gotalk.operation(),
        countdown: gotalk.streamOperation(),
        hello: gotalk.notification(),
        askPage: gotalk.operation({ name: 'ask-page', input: gotalk.typed(), output: gotalk.typed() }),
      });
      // The page's own contract, with a hand-written Standard Schema on its input.
      const text = { '~standard': { version: 1, vendor: 'page', validate: (v) => (typeof v === 'string' ? { value: v } : { issues: [{ message: 'not text' }] }) } };
      c.handlers.implement(gotalk.defineContract({ ask: gotalk.operation({ input: text, output: text }) }), { ask: (q) => 'the page answers ' + q });
      const sent = [];
      const api = gotalk.createProxy(c, service, { use: [(call, next) => (sent.push(call.op), next())] });
      const out = { greeting: (await api.greet({ name: 'page' })).greeting, parts: [] };
      for await (const n of api.countdown([0])) out.parts.push(n);
      await api.hello({ from: 'the page' });
      out.asked = await api.askPage('why?');
      try { await api.greet({ name: 'mallory' }); } catch (e) { out.refused = e.code + ': ' + e.message; }
      try { await api.greet({ name: '' }, { timeout: 5000 }); } catch (e) { out.invalid = e.message; }
      out.sent = sent;
      return out;
    })()`);
    expect(result).toEqual({
      greeting: 'Hello page',
      parts: [3, 2, 1],
      asked: 'the page answers why?',
      refused: 'FORBIDDEN: not you',
      invalid: expect.stringMatching(/^invalid input: name: /),
      sent: ['greet', 'countdown', 'hello', 'ask-page', 'greet', 'greet'],
    });
    await waitFor(() => heard.length === 1, 'the notification from the page');
    expect(log).toEqual(['request greet', 'stream countdown', 'notification hello', 'request ask-page', 'request greet', 'request greet']);
  }, 30_000);
});

describe('the demo app', () => {
  // tsx runs the demo in a child process of its own: the whole group is ended, and its folder removed.
  let demo: ProcessGroup | null = null;
  let dir: string | null = null;
  afterAll(async () => {
    await demo?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads in Chromium, talks to its server, and a screenshot is saved', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gotalk-demo-'));
    demo = startGroup(
      join(root, 'node_modules/.bin/tsx'),
      ['examples/demo/server.ts', '--http', '127.0.0.1:0', '--tcp', '127.0.0.1:0', '--unix', join(dir, 'demo.sock')],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const child = demo.child;
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${out}`)), 30_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /page\s+(http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (code) => reject(new Error(`the demo exited with ${code}:\n${out}`)));
    });
    // A request target that is no URL path (Node's parser takes it, `new URL` does not) is a 404,
    // and the demo goes on serving.
    expect(await rawRequestStatus(url, 'GET // HTTP/1.1')).toBe(404);
    const page = await newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('#status[data-state="open"]', { timeout: 15_000 });
    await page.click('#greet-form button');
    await page.waitForSelector('#greet-result.ok');
    expect(await page.textContent('#greet-result')).toContain('Hello');
    await page.click('#ask-btn');
    await page.waitForSelector('#answers tr');
    await page.fill('#chat-text', 'hello from the test');
    await page.click('#chat-form button');
    await page.waitForSelector('#messages li:not(.empty)');
    // A line typed while the connection is down goes out after the next hello, under the page's name.
    await page.evaluate(`window.demo.client.peer.destroy()`);
    await page.waitForSelector('#status:not([data-state="open"])', { timeout: 10_000 });
    await page.fill('#chat-text', 'typed while offline');
    await page.click('#chat-form button');
    await page.waitForSelector('#status[data-state="open"]', { timeout: 15_000 });
    const offlineLine = page.locator('#messages li', { hasText: 'typed while offline' });
    await offlineLine.waitFor({ timeout: 10_000 });
    // Its name, or `name (2)` should the server not have seen the old connection go yet: never anonymous.
    const me = (await page.evaluate(`window.demo.me`)) as string;
    expect(await offlineLine.locator('.from').textContent()).toMatch(new RegExp(`^${me}( \\(\\d\\))?$`));
    await page.fill('#limit', '300000');
    await page.click('#primes-btn');
    await page.waitForFunction(`document.getElementById('found').textContent === '25,997'`, undefined, { timeout: 15_000 });
    // A limit past what the server sieves is clamped, and the page says so.
    await page.fill('#limit', '9000000');
    await page.click('#primes-btn');
    await page.waitForFunction(`document.getElementById('primes-note').textContent.startsWith('Clamped to 5,000,000')`, undefined, { timeout: 5000 });
    await page.waitForFunction(`document.getElementById('found').textContent === '348,513'`, undefined, { timeout: 30_000 });
    expect(await page.inputValue('#limit')).toBe('5000000');
    await page.waitForSelector('#peers li');
    const artifacts = join(root, '.artifacts');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'demo.png') });
    expect(errors).toEqual([]);
  }, 60_000);
});

/** Sends `requestLine` to the HTTP server at `url` over a plain socket; resolves with the status code. */
function rawRequestStatus(url: string, requestLine: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(port), hostname, () => socket.end(`${requestLine}\r\nHost: ${hostname}\r\n\r\n`));
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0)));
  });
}
