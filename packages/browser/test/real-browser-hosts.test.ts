// DNS rebinding in a real browser (headless Chromium): Chromium's resolver is told that
// evil.example and app.example are 127.0.0.1, as a rebinding DNS server would answer, so a page
// from http://evil.example:<port>/ talks to the local server with its own name in Host and
// Origin. The server's host check refuses it; loopback names, IP addresses and configured
// names work.
import { describe, expect, it } from 'vitest';
import type { NodeErrorCode, ServerOptions } from '@gotalk/node';
import { serve } from '@gotalk/test-kit/node';
import { useChromium } from './chromium.ts';

const { cleanup, newPage } = useChromium(['--host-resolver-rules=MAP evil.example 127.0.0.1, MAP app.example 127.0.0.1']);

/** A server with the built gotalk.js and an `echo`; `refusals` collects the codes of refused upgrades. */
async function echoServer(options: ServerOptions['ws'] = {}): Promise<{ port: string; refusals: NodeErrorCode[] }> {
  const refusals: NodeErrorCode[] = [];
  const server = await serve(cleanup, 'ws://127.0.0.1:0/gotalk/', { ws: { ...options, onRefused: (err) => refusals.push(err.code) } });
  server.handlers.handle('echo', (v) => v);
  return { port: new URL(server.addresses[0]!).port, refusals };
}

/**
 * Opens a page at `http://<host>:<port>/` that loads /gotalk/gotalk.js from its own origin,
 * connects with no URL (so to the page's host) and echoes; resolves with the echo or the error code.
 */
async function echoFrom(host: string, port: string): Promise<unknown> {
  const page = await newPage();
  await page.goto(`http://${host}:${port}/`);
  await page.setContent('<!doctype html><title>t</title><script src="/gotalk/gotalk.js"></script>');
  await page.waitForFunction('window.gotalk !== undefined');
  return page.evaluate(`(async () => {
    const c = gotalk.connect(undefined, { reconnect: false, connectTimeout: 5000 });
    try {
      return await c.request('echo', 'hi from ' + location.host, { timeout: 5000 });
    } catch (err) {
      return 'failed: ' + err.code;
    } finally {
      c.close();
    }
  })()`);
}

describe('the host check in Chromium', () => {
  it('a page at 127.0.0.1 or localhost connects', async () => {
    const { port, refusals } = await echoServer();
    expect(await echoFrom('127.0.0.1', port)).toBe(`hi from 127.0.0.1:${port}`);
    expect(await echoFrom('localhost', port)).toBe(`hi from localhost:${port}`);
    expect(refusals).toEqual([]);
  });

  it('a page from a rebound name (evil.example → 127.0.0.1) loads gotalk.js but cannot connect', async () => {
    const { port, refusals } = await echoServer();
    expect(await echoFrom('evil.example', port)).toMatch(/^failed: /);
    expect(refusals).toContain('HOST_NOT_ALLOWED');
    expect(refusals.every((code) => code === 'HOST_NOT_ALLOWED')).toBe(true);
  });

  it('a name in allowedHosts connects; other names still do not', async () => {
    const { port, refusals } = await echoServer({ allowedHosts: ['app.example'] });
    expect(await echoFrom('app.example', port)).toBe(`hi from app.example:${port}`);
    expect(await echoFrom('evil.example', port)).toMatch(/^failed: /);
    expect(refusals.every((code) => code === 'HOST_NOT_ALLOWED')).toBe(true);
  });
});
