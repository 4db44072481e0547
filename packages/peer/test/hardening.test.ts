// Hostile input found by the attack run: JSON bombs, names that are not UTF-8, reused request
// ids, a listener per request on one signal, and connections that stay silent without beating.
import { afterEach, describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { checkJson, connectedPeers, DEFAULT_LIMITS, Peer, type ActivityEvent, type PeerOptions } from '@gotalk/peer';
import { bin, errorOf, scriptedPeer, type ScriptedTransport, thrownBy, useFakeClocks, waitFor } from '@gotalk/test-kit';

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
  vi.useRealTimers();
});

function setup(options: PeerOptions = {}): { peer: Peer; t: ScriptedTransport; events: ActivityEvent[] } {
  const s = scriptedPeer(options);
  peers.push(s.peer);
  const events: ActivityEvent[] = [];
  s.peer.onActivity((e) => events.push(e));
  return { ...s, events };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const textOf = (f: { payload: Uint8Array }) => new TextDecoder().decode(f.payload);

describe('JSON bombs', () => {
  test('2 MB of nested brackets to a JSON handler: refused before the parser, quickly, the connection intact', async () => {
    const { peer, t } = setup({ limits: { maxJsonBytes: 4 << 20 } });
    let calls = 0;
    peer.handlers.handle('json', (v) => (calls++, v));
    const bomb = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    const started = performance.now();
    t.feed(`01r0001004json${hex(bomb.length, 8)}${bomb}`);
    const e = await t.nextFrame('E');
    const took = performance.now() - started;
    expect(textOf(e)).toBe('JSON nested deeper than 128 levels (limits.maxJsonDepth)');
    expect(calls).toBe(0);
    expect(took).toBeLessThan(500); // parsing it took 0.6–1 s; the scan stops at the 129th bracket
    t.feed('r0002004json00000005[[1]]');
    expect(textOf(await t.nextFrame('R'))).toBe('[[1]]');
  });

  test('JSON over maxJsonBytes is refused with JSON_TOO_LARGE; the bytes path is not limited by it', async () => {
    const { peer, t } = setup({ limits: { maxJsonBytes: 100 } });
    peer.handlers.handle('json', (v) => v);
    peer.handlers.handleBytes('bytes', (p) => new TextEncoder().encode(String(p.length)));
    const big = JSON.stringify('x'.repeat(200));
    t.feed(`01r0001004json${hex(big.length, 8)}${big}r0002005bytes${hex(big.length, 8)}${big}`);
    expect(textOf(await t.nextFrame('E'))).toMatch(/^JSON of 202 bytes exceeds the limit of 100 bytes/);
    expect(textOf(await t.nextFrame('R'))).toBe('202');
  });

  test('depth is counted outside strings only, and exactly at the limit is accepted', () => {
    const limits = { maxJsonBytes: 1 << 20, maxJsonDepth: 3 };
    expect(() => checkJson(new TextEncoder().encode('[[["[[[[[[[[\\"]]]"]]]'), limits)).not.toThrow();
    expect(thrownBy(() => checkJson(new TextEncoder().encode('[[[[1]]]]'), limits)).code).toBe('JSON_TOO_DEEP');
    expect(thrownBy(() => checkJson(new TextEncoder().encode('{"a":{"b":[{"c":1}]}}'), limits)).code).toBe('JSON_TOO_DEEP');
    expect(() => checkJson(new TextEncoder().encode('{"a":{"b":[1,2]},"c":[[3]]}'), limits)).not.toThrow();
    const long = JSON.stringify(['a'.repeat(40) + '\\"[[[[' + '\\'.repeat(3) + '"[[[[']);
    expect(() => checkJson(new TextEncoder().encode(long), limits)).not.toThrow();
  });

  test("long strings with escaped quotes, backslashes and brackets count as strings: the depth found is the value's own", () => {
    const depthOf = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0);
    const tricky = fc.array(fc.constantFrom('\\', '"', '[', ']', '{', '}', 'a'), { maxLength: 120 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), tricky, (value, s) => {
        const doc = JSON.stringify([value, s, { [s]: [s] }]);
        const bytes = new TextEncoder().encode(doc);
        const depth = depthOf(JSON.parse(doc));
        expect(() => checkJson(bytes, { maxJsonBytes: 1 << 20, maxJsonDepth: depth })).not.toThrow();
        if (bytes.length > depth - 1) expect(thrownBy(() => checkJson(bytes, { maxJsonBytes: 1 << 20, maxJsonDepth: depth - 1 })).code).toBe('JSON_TOO_DEEP');
      }),
      { numRuns: 400 },
    );
  });

  test('a result nested too deep fails the request with JSON_TOO_DEEP; a notification too deep never reaches its handler', async () => {
    const [a, b] = connectedPeers({ limits: { maxJsonDepth: 10 } });
    peers.push(a, b);
    b.handlers.handleBytes('deep', () => new TextEncoder().encode('['.repeat(20) + ']'.repeat(20)));
    expect((await errorOf(a.request('deep'))).code).toBe('JSON_TOO_DEEP');
    const errors: Error[] = [];
    a.onActivity((e) => e.type === 'error' && errors.push(e.error));
    let got = 0;
    a.handlers.onNotification('deep', () => void got++);
    b.notifyBytes('deep', new TextEncoder().encode('['.repeat(20) + ']'.repeat(20)));
    await waitFor(() => errors.length > 0, 'the notification reported', 2000);
    expect((errors[0] as { code?: string }).code).toBe('JSON_TOO_DEEP');
    expect(got).toBe(0);
  });

  test('the defaults: 1 MiB and 128 levels', () => {
    expect(DEFAULT_LIMITS.maxJsonBytes).toBe(1024 * 1024);
    expect(DEFAULT_LIMITS.maxJsonDepth).toBe(128);
  });
});

describe('names that are not UTF-8', () => {
  test('\\xff and \\xfe are two names, neither reaches the handler of U+FFFD, and the error shows the bytes', async () => {
    const { peer, t } = setup();
    let replaced = 0;
    peer.handlers.handleBytes('\ufffd', () => (replaced++, new Uint8Array()));
    peer.handlers.fallback(() => new TextEncoder().encode('fallback'));
    t.feed(bin('01r0001001\xff00000000r0002001\xfe00000000r0003003a\xffb00000000'));
    expect(textOf(await t.nextFrame('E', (f) => f.id === 0x30303031))).toBe('operation name is not valid UTF-8: "\\xff"');
    expect(textOf(await t.nextFrame('E', (f) => f.id === 0x30303032))).toBe('operation name is not valid UTF-8: "\\xfe"');
    expect(textOf(await t.nextFrame('E', (f) => f.id === 0x30303033))).toBe('operation name is not valid UTF-8: "a\\xffb"');
    expect(replaced).toBe(0);
    // Valid UTF-8 is served as before, even names beyond the BMP.
    peer.handlers.handleBytes('😀', () => new TextEncoder().encode('smile'));
    t.feed(bin('r0004004\xf0\x9f\x98\x8000000000'));
    expect(textOf(await t.nextFrame('R'))).toBe('smile');
    expect(peer.open).toBe(true);
  });

  test('reading such names costs no more than reading valid ones: 200 names of 4095 invalid bytes, about as fast as 200 valid ones', async () => {
    const run = async (name: string, bytes: (s: string) => Uint8Array) => {
      const { t } = setup();
      const started = performance.now();
      t.feed(bytes('01' + Array.from({ length: 200 }, (_, i) => `r${String(i).padStart(4, '0')}fff${name}00000000`).join('')));
      await t.until(() => t.frames.filter((f) => f.type === 'E').length === 200, '200 error results', 30_000);
      return performance.now() - started;
    };
    const valid = await run('v'.repeat(4095), (s) => new TextEncoder().encode(s)); // unknown op: an error result each
    const invalid = await run('\xff'.repeat(4095), bin);
    // A decoder that tried each byte with a throwing TextDecoder took over 100 times as long.
    expect(invalid).toBeLessThan(20 * valid + 500);
  });

  test('a stream request with such a name gets the same error; a notification is reported and dropped', async () => {
    const { peer, t, events } = setup();
    let got = 0;
    peer.handlers.onNotificationBytes('\ufffd', () => void got++);
    t.feed(bin('01s0001001\xff00000000n001\xff00000000'));
    expect(textOf(await t.nextFrame('E'))).toBe('operation name is not valid UTF-8: "\\xff"');
    const error = events.find((e) => e.type === 'error');
    expect(error && error.type === 'error' && (error.error as { code?: string }).code).toBe('INVALID_NAME');
    expect(error && error.type === 'error' && error.error.message).toContain('"\\xff"');
    expect(got).toBe(0);
  });
});

describe('a request id reused while in flight', () => {
  test('a second single request under an id being served gets an error result; the first is answered once', async () => {
    const { peer, t } = setup();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    peer.handlers.handleBytes('slow', async () => (calls++, await gate, new TextEncoder().encode('first')));
    t.feed('01r0001004slow00000000r0001004slow00000000');
    expect(textOf(await t.nextFrame('E'))).toBe('request id already in use');
    release();
    expect(textOf(await t.nextFrame('R'))).toBe('first');
    expect(calls).toBe(1);
    // Once answered, the id is free again; its answer comes after any other the first could cause.
    t.feed('r0001004slow00000000');
    expect(textOf(await t.nextFrame('R'))).toBe('first');
    expect(t.frames.filter((f) => f.type === 'R' || f.type === 'E').map((f) => f.type)).toEqual(['E', 'R', 'R']);
  });

  test('a single request under the id of a stream being served, and the other way round: error results', async () => {
    const { peer, t } = setup();
    peer.handlers.handleStream('up', async function* (parts) {
      for await (const p of parts) yield p;
    });
    peer.handlers.handleBytes('slow', () => new Promise(() => {}));
    t.feed('01s0001002up00000001ar0001002up00000000r0002004slow00000000s0002002up00000000');
    expect(textOf(await t.nextFrame('E', (f) => f.id === 0x30303031))).toBe('request id already in use');
    expect(textOf(await t.nextFrame('E', (f) => f.id === 0x30303032))).toBe('request id already in use');
    t.feed('p000100000000');
    expect(textOf(await t.nextFrame('S'))).toBe('a');
  });
});

describe('a signal per request', () => {
  test('each request being served has its own signal; all fire when the connection goes, and none holds a listener after', async () => {
    const [a, b] = connectedPeers();
    peers.push(a, b);
    const signals: AbortSignal[] = [];
    b.handlers.handle('wait', (_v, ctx) => {
      signals.push(ctx.signal);
      return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(null), { once: true }));
    });
    const pending = Array.from({ length: 50 }, () => errorOf(a.request('wait', null, { timeout: 0 })));
    await waitFor(() => signals.length === 50, '50 handlers running', 2000);
    expect(new Set(signals).size).toBe(50);
    expect(signals.some((s) => s.aborted)).toBe(false);
    b.destroy();
    await Promise.all(pending);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect((signals[0]!.reason as { code?: string }).code).toBe('CLOSED');
  });

  test('a request answered is not aborted later by the connection closing', async () => {
    const [a, b] = connectedPeers();
    peers.push(a, b);
    let kept: AbortSignal | undefined;
    b.handlers.handle('quick', (_v, ctx) => ((kept = ctx.signal), 'ok'));
    expect(await a.request('quick')).toBe('ok');
    b.destroy();
    await b.closed;
    expect(kept?.aborted).toBe(false);
  });
});

describe('the silence timeout', () => {
  test('a connection that sent its version and nothing else is closed with f00000003 after silenceTimeout', async () => {
    const { peer, t } = setup({ silenceTimeout: 200 });
    t.feed('01');
    const started = performance.now();
    const info = await peer.closed;
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(info.reason).toBe('idle');
    expect(info.error).toMatchObject({ code: 'TIMEOUT' });
    expect(info.error?.message).toMatch(/never a heartbeat/);
    await t.ends();
    expect(t.outputText).toBe('01f00000003');
  });

  test('a peer that beats once right after the handshake (as gotalk.js and the Go client do) is then watched by the idle timeout only', async () => {
    useFakeClocks();
    const { peer, t } = setup({ silenceTimeout: 100, idleTimeout: 60_000 });
    t.feed('01h00005f63ee48');
    await vi.advanceTimersByTimeAsync(50_000); // 500 silence timeouts, within the idle timeout
    expect(peer.open).toBe(true);
  });

  test('requests keep a connection that never beats alive; off by default for a plain peer', async () => {
    useFakeClocks();
    const { peer, t } = setup({ silenceTimeout: 150 });
    peer.handlers.handleBytes('echo', (p) => p);
    t.feed('01');
    for (let i = 0; i < 6; i++) {
      await vi.advanceTimersByTimeAsync(60);
      t.feed(`r000${i}004echo00000000`);
    }
    expect(peer.open).toBe(true);
    const plain = setup();
    plain.t.feed('01');
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(plain.peer.open).toBe(true);
  });

  test('silenceTimeout is checked like the other durations', () => {
    expect(() => new Peer(scriptedPeer().t, { silenceTimeout: -1 })).toThrow(RangeError);
  });
});
