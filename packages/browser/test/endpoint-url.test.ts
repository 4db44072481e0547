// Pure functions: the endpoint derived from the script's URL, URL resolution, backoff delays.
import { describe, expect, it, vi } from 'vitest';
import { BrowserError, connect, defaultEndpoint, DEFAULT_RECONNECT, endpointFromScript, reconnectDelay, type WebSocketLike } from '@gotalk/browser';

describe('endpointFromScript', () => {
  it.each([
    ['http://example.com/gotalk/gotalk.js', 'ws://example.com/gotalk/'],
    ['https://example.com/gotalk/gotalk.js', 'wss://example.com/gotalk/'],
    ['https://example.com:8443/gotalk/gotalk.js?v=3#x', 'wss://example.com:8443/gotalk/'],
    ['http://127.0.0.1:1234/api/rpc/gotalk.js', 'ws://127.0.0.1:1234/api/rpc/'],
    ['http://[::1]:80/gotalk.js', 'ws://[::1]/'],
    ['https://cdn.example/x/gotalk.mjs', 'wss://cdn.example/x/'],
  ])('%s → %s', (script, endpoint) => {
    expect(endpointFromScript(script)).toBe(endpoint);
  });

  it.each(['http://example.com/assets/index-4f2a.js', 'http://example.com/gotalk/notgotalk.js', 'file:///srv/gotalk/gotalk.js', 'gotalk.js', ''])(
    'is undefined for %j',
    (script) => {
      expect(endpointFromScript(script)).toBeUndefined();
    },
  );
});

describe('defaultEndpoint', () => {
  it('prefers the script, then /gotalk/ on the page host, else nothing', () => {
    expect(defaultEndpoint('https://a.example/rpc/gotalk.js', 'https://a.example/page')).toBe('wss://a.example/rpc/');
    expect(defaultEndpoint('https://a.example/rpc/gotalk.js', undefined)).toBe('wss://a.example/rpc/');
    expect(defaultEndpoint('https://b.example/assets/app.js', 'https://b.example/deep/page?q=1')).toBe('wss://b.example/gotalk/');
    expect(defaultEndpoint(undefined, 'http://localhost:5173/')).toBe('ws://localhost:5173/gotalk/');
    expect(defaultEndpoint('file:///x.js', undefined)).toBeUndefined();
  });

  it('ignores a script from another origin (a CDN): the endpoint is /gotalk/ on the page host', () => {
    expect(defaultEndpoint('https://cdn.example/npm/@gotalk/browser/dist/gotalk.mjs', 'https://app.example/page')).toBe('wss://app.example/gotalk/');
    expect(defaultEndpoint('https://a.example/rpc/gotalk.js', 'https://b.example/page')).toBe('wss://b.example/gotalk/');
    // Same host, other scheme or port: another origin too.
    expect(defaultEndpoint('http://app.example/rpc/gotalk.js', 'https://app.example/')).toBe('wss://app.example/gotalk/');
    expect(defaultEndpoint('https://app.example:8443/rpc/gotalk.js', 'https://app.example/')).toBe('wss://app.example/gotalk/');
    expect(defaultEndpoint('https://app.example:443/rpc/gotalk.js', 'https://app.example/')).toBe('wss://app.example/rpc/');
  });
});

/** A WebSocket that never opens and records the URL it was made for. */
class NeverOpens implements WebSocketLike {
  static urls: string[] = [];
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  private onClose: ((e: { type: string; code: number }) => void) | undefined;
  constructor(url: string) {
    NeverOpens.urls.push(url);
  }
  send(): void {}
  close(): void {
    this.readyState = 3;
    queueMicrotask(() => this.onClose?.({ type: 'close', code: 1006 }));
  }
  addEventListener(type: string, listener: (e: { type: string; code: number }) => void): void {
    if (type === 'close') this.onClose = listener;
  }
}

describe('connect() addresses', () => {
  it('turns http(s) into ws(s) and keeps ws(s)', async () => {
    for (const [given, url] of [
      ['http://h.example/gotalk/', 'ws://h.example/gotalk/'],
      ['https://h.example:444/x/', 'wss://h.example:444/x/'],
      ['wss://h.example/gotalk/', 'wss://h.example/gotalk/'],
      [new URL('ws://h.example/y/'), 'ws://h.example/y/'],
      // WebSocket URLs cannot have a fragment (the browser's constructor throws on one): it is dropped.
      ['wss://h.example/gotalk/#section', 'wss://h.example/gotalk/'],
      ['http://h.example/x/?a=1#', 'ws://h.example/x/?a=1'],
    ] as const) {
      const c = connect(given, { WebSocket: NeverOpens });
      expect(c.url).toBe(url);
      expect(NeverOpens.urls.at(-1)).toBe(url);
      await c.close();
    }
  });

  it('throws BAD_URL for other schemes, relative URLs without a page, and no URL without a script or page', () => {
    for (const url of ['ftp://h/', '/gotalk/', undefined]) {
      const err = (() => {
        try {
          connect(url, { WebSocket: NeverOpens });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(BrowserError);
      expect(err).toMatchObject({ code: 'BAD_URL' });
    }
  });

  it('needs a WebSocket constructor where there is no global one', () => {
    vi.stubGlobal('WebSocket', undefined);
    try {
      expect(() => connect('ws://h/')).toThrow(TypeError);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('reconnectDelay', () => {
  const policy = { minDelay: 100, maxDelay: 1000, factor: 2 };

  it('grows its ceiling by factor per attempt up to maxDelay', () => {
    expect([1, 2, 3, 4, 5, 10, 100].map((a) => reconnectDelay(a, policy, () => 1))).toEqual([200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it('never goes below minDelay', () => {
    expect([1, 2, 5, 50].map((a) => reconnectDelay(a, policy, () => 0))).toEqual([100, 100, 100, 100]);
  });

  it('is jittered within [minDelay, ceiling] with the real random source', () => {
    const delays = Array.from({ length: 200 }, () => reconnectDelay(3, DEFAULT_RECONNECT));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2000);
    expect(new Set(delays).size).toBeGreaterThan(20);
  });

  it('rejects a bad policy', () => {
    for (const reconnect of [{ minDelay: -1 }, { minDelay: 500, maxDelay: 100 }, { factor: 0.5 }, { maxDelay: Infinity }]) {
      expect(() => connect('ws://h/', { WebSocket: NeverOpens, reconnect })).toThrow(RangeError);
    }
  });
});

describe('connect() options', () => {
  it.each([
    ['connectTimeout', [NaN, -1, 0, Infinity, 2 ** 31]],
    ['queueTimeout', [NaN, -1, Infinity, 2 ** 31]],
    ['queueLimit', [NaN, -1, 1.5, Infinity]],
    ['highWaterMark', [NaN, -1, 0.5, Infinity]],
  ] as const)('throws a RangeError naming %s when it is out of range', (name, values) => {
    const before = NeverOpens.urls.length;
    for (const value of values) {
      expect(() => connect('ws://h/', { WebSocket: NeverOpens, [name]: value }), `${name}: ${value}`).toThrow(new RegExp(`^${name} must be `));
      expect(() => connect('ws://h/', { WebSocket: NeverOpens, [name]: value })).toThrow(RangeError);
    }
    expect(NeverOpens.urls.length).toBe(before); // no connection was attempted
  });

  it('accepts the edges of each range', async () => {
    for (const options of [
      { connectTimeout: 1 },
      { connectTimeout: 2 ** 31 - 1 },
      { queueTimeout: 0 },
      { queueLimit: 0 },
      { highWaterMark: 0 },
      { queueLimit: 2 ** 53 - 1 },
    ]) {
      await connect('ws://h/', { WebSocket: NeverOpens, ...options }).close();
    }
  });
});
