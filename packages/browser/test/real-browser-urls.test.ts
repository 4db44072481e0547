// Endpoint addresses in a real browser (headless Chromium): a `#fragment` in connect()'s URL,
// which Chromium's WebSocket constructor refuses, and the endpoint derived with no URL when the
// bundle comes from another origin (a CDN), where the page's host is the one to connect to.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Server } from '@gotalk/node';
import { launchChromium } from './chromium.ts';

let browser: Browser;
let server: Server;
let base: string; // http://127.0.0.1:<port>/gotalk/
const pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  server = await listen('ws://127.0.0.1:0/gotalk/');
  server.handlers.handle('echo', (v) => v);
  base = server.addresses[0]!.replace(/^ws/, 'http');
}, 60_000);
afterAll(async () => {
  for (const p of server?.peers ?? []) p.destroy();
  await server?.close();
  await browser?.close();
});
afterEach(async () => {
  for (const page of pages.splice(0)) await page.close();
});

/** A page on the server's origin (`http://127.0.0.1:<port>/`) running `html`; fails on page errors. */
async function page(html: string): Promise<Page> {
  const p = await browser.newPage();
  pages.push(p);
  p.on('pageerror', (e) => {
    throw e;
  });
  await p.goto(new URL('/', base).href);
  await p.setContent(`<!doctype html><title>t</title>${html}`);
  return p;
}

/** Connects `c` with `connectArgs` in the page, waits for its first connection and echoes through it. */
async function connectAndEcho(p: Page, connectArgs: string): Promise<{ url: string; echo: unknown }> {
  return (await p.evaluate(`(async () => {
    const c = gotalk.connect(${connectArgs});
    const echo = await c.request('echo', 'through ' + c.url, { timeout: 5000 });
    await c.close();
    return { url: c.url, echo };
  })()`)) as { url: string; echo: unknown };
}

describe('endpoint addresses in Chromium', () => {
  it('drops a #fragment from the URL instead of retrying a WebSocket the browser refuses', async () => {
    const p = await page(`<script src="${base}gotalk.js"></script>`);
    const endpoint = server.addresses[0]!;
    expect(await connectAndEcho(p, `'${base}#section', { reconnect: false }`)).toEqual({ url: endpoint, echo: `through ${endpoint}` });
  });

  it('with no URL and gotalk.js from another origin, connects to /gotalk/ on the page host', async () => {
    // localhost is another origin than the page's 127.0.0.1, though the same server.
    const p = await page(`<script src="${base.replace('127.0.0.1', 'localhost')}gotalk.js"></script>`);
    const endpoint = server.addresses[0]!;
    expect(await connectAndEcho(p, `undefined, { reconnect: false }`)).toEqual({ url: endpoint, echo: `through ${endpoint}` });
  });

  it('with no URL and gotalk.mjs imported from a CDN, connects to /gotalk/ on the page host', async () => {
    const mjs = readFileSync(fileURLToPath(new URL('../dist/gotalk.mjs', import.meta.url)), 'utf8');
    const p = await browser.newPage();
    pages.push(p);
    await p.route('http://cdn.example/**', (route) =>
      route.fulfill({ body: mjs, contentType: 'text/javascript', headers: { 'access-control-allow-origin': '*' } }),
    );
    await p.goto(new URL('/', base).href);
    await p.setContent(`<!doctype html><title>t</title>
      <script type="module">import * as gotalk from 'http://cdn.example/npm/@gotalk/browser/dist/gotalk.mjs'; window.gotalk = gotalk;</script>`);
    await p.waitForFunction('window.gotalk !== undefined');
    const endpoint = server.addresses[0]!;
    expect(await connectAndEcho(p, `undefined, { reconnect: false }`)).toEqual({ url: endpoint, echo: `through ${endpoint}` });
  });
});
