// A refused upgrade, seen by the browser client in Node (ws's WebSocket with an Origin, Node's
// fetch for the probe): it gives up with the server's code instead of retrying; the probe reads
// only a Gotalk server's refusal, and a server that is down or allows the page leaves the client
// retrying as before.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, type BrowserErrorCode, type ClientOptions } from '@gotalk/browser';
import type { NodeError } from '@gotalk/node';
import { Cleanup, delay, waitFor } from '@gotalk/test-kit';
import { freePort, serve } from '@gotalk/test-kit/node';
import { probeRefusal, type FetchLike } from '../src/refusal-probe.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const PAGE = 'http://page.example:8080';

/** A WebSocket that sends `Origin: http://page.example:8080`, as a page of that origin would. */
class PageWebSocket extends WebSocket {
  constructor(url: string) {
    super(url, { origin: PAGE });
  }
}

/** Node's fetch with the page's Origin, as the browser sends it on a cross-origin fetch. */
const pageFetch: FetchLike = (url, init) => fetch(url, { ...init, headers: { origin: PAGE } });

function client(url: string, options: ClientOptions = {}) {
  const c = connect(url, { WebSocket: PageWebSocket as never, fetch: pageFetch, reconnect: { minDelay: 20, maxDelay: 50 }, ...options });
  cleanup.add(() => c.close());
  return c;
}

describe('a refused origin', () => {
  it('ends the client with ORIGIN_NOT_ALLOWED after one attempt: failed event, client.error, waiting and later requests', async () => {
    const server = await serve(cleanup, 'ws://127.0.0.1:0/gotalk/', { ws: { bundle: null, origins: ['http://app.example'] } });
    const refused: NodeError[] = [];
    server.on('refused', (err) => refused.push(err));
    const c = client(server.addresses[0]!);
    const failed: Error[] = [];
    c.on('failed', (err) => failed.push(err));
    const asked = c.request('echo', 1).catch((err: Error & { code: string }) => err.code);
    expect(await asked).toBe('ORIGIN_NOT_ALLOWED');
    expect(c.state).toBe('closed');
    expect((c.error as Error & { code?: string }).code).toBe('ORIGIN_NOT_ALLOWED');
    expect(c.error!.message).toMatch(/refuses this page: refused a WebSocket upgrade from the origin "http:\/\/page.example:8080"/);
    await expect(c.request('echo', 2)).rejects.toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    await delay(200); // a client still retrying would have tried again (backoff 20..50 ms)
    expect(failed).toHaveLength(1);
    expect(refused.map((e) => e.code)).toEqual(['ORIGIN_NOT_ALLOWED']);
  });

  it('a page the server allows connects as before; the probe is not made', async () => {
    const server = await serve(cleanup, 'ws://127.0.0.1:0/gotalk/', { ws: { bundle: null, origins: [PAGE] } });
    server.handlers.handle('echo', (v) => v);
    let probes = 0;
    const c = client(server.addresses[0]!, { fetch: (url, init) => (probes++, pageFetch(url, init)) });
    expect(await c.request('echo', 'hi')).toBe('hi');
    expect(probes).toBe(0);
  });

  it('a server that is down leaves the client retrying (the probe fails and says nothing)', async () => {
    const port = await freePort();
    const c = client(`ws://127.0.0.1:${port}/gotalk/`);
    let attempts = 0;
    c.on('reconnecting', () => attempts++);
    await waitFor(() => attempts >= 3, 'three retries');
    expect(c.state).not.toBe('closed');
    expect(c.error).toBeNull();
  });
});

describe('the probe', () => {
  const signal = new AbortController().signal;
  const answering =
    (status: number, body: unknown): FetchLike =>
    async () => ({ status, json: async () => body });

  it("reads a Gotalk server's refusal, and nothing else", async () => {
    const refusal = await probeRefusal('wss://h.example/gotalk/', signal, answering(403, { gotalk: 'refused', code: 'HOST_NOT_ALLOWED', message: 'no' }));
    expect(refusal).toMatchObject({ code: 'HOST_NOT_ALLOWED' satisfies BrowserErrorCode, final: true, name: 'BrowserError' });
    expect(refusal!.message).toBe('the server at wss://h.example/gotalk/ refuses this page: no');
    for (const [status, body] of [
      [426, { gotalk: 'endpoint' }],
      [403, { gotalk: 'refused', code: 'SOMETHING_ELSE' }],
      [403, { code: 'ORIGIN_NOT_ALLOWED' }],
      [403, null],
      [404, 'not found'],
    ] as const) {
      expect(await probeRefusal('ws://h/gotalk/', signal, answering(status, body)), JSON.stringify([status, body])).toBeNull();
    }
    expect(await probeRefusal('ws://h/gotalk/', signal, () => Promise.reject(new TypeError('failed to fetch')))).toBeNull();
    const notJson: FetchLike = async () => ({ status: 403, json: () => Promise.reject(new SyntaxError('bad JSON')) });
    expect(await probeRefusal('ws://h/gotalk/', signal, notJson)).toBeNull();
  });

  it('asks the http(s) form of the endpoint URL', async () => {
    const asked: string[] = [];
    const recording: FetchLike = async (url) => (asked.push(url), { status: 426, json: async () => ({}) });
    await probeRefusal('ws://h:1/gotalk/?token=a', signal, recording);
    await probeRefusal('wss://h/x/', signal, recording);
    expect(asked).toEqual(['http://h:1/gotalk/?token=a', 'https://h/x/']);
  });
});
