// The built IIFE bundle (dist/gotalk.js; the test command builds it first, and this test fails
// without it) loaded like a plain <script src="/gotalk/gotalk.js"> served by
// the Node server: fetched over HTTP, run in a fresh realm with only web globals, it finds the
// endpoint from its script URL and talks both ways.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeBundle } from '@gotalk/node';
import type * as Gotalk from '@gotalk/browser';
import { Cleanup } from '@gotalk/test-kit';
import { serve } from '@gotalk/test-kit/node';

const bundlePath = fileURLToPath(new URL('../dist/gotalk.js', import.meta.url));
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('dist/gotalk.js as a classic script', () => {
  it('derives ws://host/gotalk/ from its <script src> and serves and calls', async () => {
    expect(existsSync(bundlePath), `${bundlePath} is missing: run npx --yes pnpm@10 run build first`).toBe(true);
    const server = await serve(cleanup, 'ws://127.0.0.1:0/gotalk/', { ws: { bundle: makeBundle(readFileSync(bundlePath)) } });
    server.handlers.handle('echo', (v) => v);
    const scriptUrl = server.addresses[0]!.replace(/^ws/, 'http') + 'gotalk.js';
    const response = await fetch(scriptUrl);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    const source = await response.text();

    const document = { currentScript: { src: scriptUrl } as { src: string } | null };
    const page = createContext({
      document,
      WebSocket,
      // The web APIs below come from this realm; typed arrays must too, as in a page where
      // there is one realm (TextEncoder and ws hand out this realm's Uint8Array and ArrayBuffer).
      ArrayBuffer,
      Uint8Array,
      URL,
      TextEncoder,
      TextDecoder,
      AbortController,
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      queueMicrotask,
      performance,
    }) as { gotalk?: typeof Gotalk };
    runInContext(source, page, { filename: scriptUrl });
    document.currentScript = null; // as in a page: only set while the script first runs

    const gotalk = page.gotalk!;
    const client = gotalk.connect();
    cleanup.add(() => client.close());
    expect(client.url).toBe(server.addresses[0]);
    client.handlers.handle('whoami', () => 'page');
    expect(await client.request('echo', { hi: '😀' })).toEqual({ hi: '😀' });
    expect(await [...server.peers][0]!.request('whoami')).toBe('page');
    expect(typeof gotalk.defineOperation).toBe('function');
    expect(new gotalk.ClosedError()).toMatchObject({ code: 'CLOSED' });
  });
});
