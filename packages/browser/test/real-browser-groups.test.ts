// Groups and a refused origin in a real browser (headless Chromium): pages join a group through
// the server's handler, receive what is broadcast to it and answer a group gather; a page served
// from another port of the same host, which the server's origin policy refuses, gives up at once
// with ORIGIN_NOT_ALLOWED instead of retrying forever, and the server reports the refusal.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { NodeError, Server } from '@gotalk/node';
import { delay, waitFor } from '@gotalk/test-kit';
import { serve } from '@gotalk/test-kit/node';
import { useChromium } from './chromium.ts';

const { cleanup, newPage } = useChromium();

/** A server with the built bundle whose `join` puts the calling page in a group. */
async function groupServer(): Promise<Server> {
  const server = await serve(cleanup, 'ws://127.0.0.1:0/gotalk/', { ws: {} });
  server.handlers.handle('join', (group, ctx) => (server.groups.join(ctx.peer, group as string), server.groups.of(ctx.peer)));
  return server;
}

/**
 * A page whose origin is `origin`'s (any URL of that origin), with the bundle of `server` and a
 * client `c` connected to it; `window.heard` collects the `news` it gets, and `ask` answers with
 * `answer` (or fails when it is null).
 */
async function openPage(origin: string, server: Server, answer: string | null): Promise<Page> {
  const endpoint = server.addresses[0]!;
  const page = await newPage();
  await page.goto(origin);
  await page.setContent(`<!doctype html><title>t</title><script src="${endpoint.replace(/^ws/, 'http')}gotalk.js"></script>`);
  await page.waitForFunction('window.gotalk !== undefined');
  await page.evaluate(`
    window.heard = [];
    window.failures = [];
    window.c = gotalk.connect(${JSON.stringify(endpoint)}, { reconnect: { minDelay: 50, maxDelay: 300 } });
    c.on('failed', (err) => failures.push(err.code + ': ' + err.message));
    c.handlers.onNotification('news', (v) => heard.push(v));
    c.handlers.handle('ask', (q) => {
      if (${JSON.stringify(answer)} === null) throw new Error('no answer here');
      return ${JSON.stringify(answer)} + ' to ' + q;
    });
  `);
  return page;
}

describe('groups with pages in Chromium', () => {
  it('pages join a group, receive what is broadcast to it, and answer a group gather', async () => {
    const server = await groupServer();
    const base = server.addresses[0]!.replace(/^ws/, 'http');
    const [a, b, outside] = await Promise.all([openPage(base, server, 'yes'), openPage(base, server, null), openPage(base, server, 'me too')]);
    expect(await a.evaluate(`c.request('join', 'room')`)).toEqual(['room']);
    expect(await b.evaluate(`c.request('join', 'room')`)).toEqual(['room']);
    await outside.evaluate(`c.request('join', 'elsewhere')`);

    expect(server.to('room').notify('news', { headline: 'to the room' })).toEqual({ sent: 2, behind: [] });
    server.everyone().except('room').notify('news', { headline: 'to the others' });
    for (const [page, want] of [
      [a, [{ headline: 'to the room' }]],
      [b, [{ headline: 'to the room' }]],
      [outside, [{ headline: 'to the others' }]],
    ] as const) {
      await page.waitForFunction('heard.length > 0');
      expect(await page.evaluate('heard')).toEqual(want);
    }

    const answers = await server.to('room').gather('ask', 'the question', { timeout: 5000 });
    expect(answers.map((x) => (x.ok ? x.value : `error: ${x.error.message}`))).toEqual(['yes to the question', 'error: no answer here']);

    // A page that goes away leaves the group.
    await b.close();
    await waitFor(() => server.groups.size('room') === 1, 'the closed page out of the room');
  });

  it('a page from another port of the same host is refused: the client gives up with ORIGIN_NOT_ALLOWED, the server reports it', async () => {
    const server = await groupServer();
    const refused: { code: string; remote: string }[] = [];
    server.on('refused', (err: NodeError, remote) => refused.push({ code: err.code, remote }));
    // Another server on another port: the page's origin is http://127.0.0.1:<other port>.
    const other = await serve(cleanup, 'ws://127.0.0.1:0/gotalk/');
    const page = await openPage(other.addresses[0]!.replace(/^ws/, 'http'), server, 'never');
    const outcome = await page.evaluate(`(async () => {
      const asked = c.request('join', 'room', { timeout: 10000 }).then(() => 'joined', (err) => err.code);
      // The refusal may be known already (the probe can answer before this runs).
      if (!c.error) await new Promise((resolve) => c.on('failed', resolve));
      return { asked: await asked, state: c.state, error: c.error.code, later: await c.request('join', 'x').catch((err) => err.code) };
    })()`);
    expect(outcome).toEqual({ asked: 'ORIGIN_NOT_ALLOWED', state: 'closed', error: 'ORIGIN_NOT_ALLOWED', later: 'ORIGIN_NOT_ALLOWED' });
    const failures = (await page.evaluate('failures')) as string[];
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^ORIGIN_NOT_ALLOWED: the server at ws:\/\/127\.0\.0\.1:\d+\/gotalk\/ refuses this page: .*origins/);
    await delay(500); // a client still retrying would have tried again by now (backoff 50..300 ms)
    expect(refused).toHaveLength(1);
    expect(refused[0]!.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(refused[0]!.remote).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
  });
});
