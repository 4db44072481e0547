// One transport conformance suite: the same cases must pass over every transport (the
// in-memory pair, TCP, TLS, Unix sockets, ws:// and wss:// in @gotalk/node's tests, the
// browser's WebSocket transport in @gotalk/browser's). Runtime-neutral: no Node APIs.
import { afterEach, describe, expect, it } from 'vitest';
import type { ActivityEvent, Connection, Handlers, Peer, PeerOptions } from '@gotalk/peer';
import { bytes, str } from './bytes.ts';
import { deferred, delay, waitFor, within, type Deferred } from './waiting.ts';

/** A connected pair of peers over the transport under test. */
export interface ConnectedPair {
  /** The side that connected. */
  readonly client: Peer;
  /** The accepting side's peer of this connection. */
  readonly serverPeer: Peer;
  /** Where the accepting side's operations are registered (a server's shared registry, or the peer's own). */
  readonly handlers: Handlers;
  /** Ends both sides and frees everything (listeners, temp dirs). */
  teardown(): Promise<void>;
}

/** Makes a connected pair whose both peers use `options`. */
export type PairSetup = (options: PeerOptions) => Promise<ConnectedPair>;

/** The SHA-256 of `b`, in hex (Web Crypto: in browsers and in Node). */
async function sha(b: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** `n` random bytes (getRandomValues fills at most 64 KiB per call). */
function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
}

/** The parts joined. */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A plain Uint8Array copy of `b` (a Buffer from a Node transport compares equal to it then). */
const plain = (b: Uint8Array): Uint8Array => Uint8Array.from(b);

function heartbeatsIn(peer: Peer): ActivityEvent[] {
  const seen: ActivityEvent[] = [];
  peer.onActivity((e) => {
    if (e.type === 'heartbeat' && e.dir === 'in') seen.push(e);
  });
  return seen;
}

/**
 * Registers the conformance cases for one transport, as a `describe` block named after `name`:
 * each case makes a fresh pair with `setup` and tears it down in `afterEach`.
 */
export function describeTransport(name: string, setup: PairSetup): void {
  describe(`transport conformance: ${name}`, () => {
    let pair: ConnectedPair | undefined;
    const releases: Deferred<void>[] = [];

    const open = async (options: PeerOptions = {}): Promise<ConnectedPair> => {
      pair = await setup(options);
      expect(pair.client.open).toBe(true);
      expect(pair.serverPeer.open).toBe(true);
      return pair;
    };

    afterEach(async () => {
      for (const r of releases.splice(0)) r.resolve();
      const p = pair;
      pair = undefined;
      await p?.teardown();
    });

    /** A handler gate that afterEach always opens, so no handler outlives its test. */
    const gate = (): Deferred<void> => {
      const d = deferred();
      releases.push(d);
      return d;
    };

    it('carries JSON requests both ways, including a callback from inside a handler', async () => {
      const { client, serverPeer, handlers } = await open();
      handlers.handle('echo', (v) => v);
      client.handlers.handle('whoami', (v) => ({ side: 'client', got: v }));
      handlers.handle('ask-back', async (v, ctx) => {
        if (ctx.peer !== serverPeer) throw new Error('ctx.peer is not the connection the request came on');
        return { asked: v, answer: await ctx.peer.request('whoami', v) };
      });
      const value = { message: 'Hello World', list: [1, 2.5, null, true, 'x'], text: 'ünïcødé ✓ 🎉 \u0000 "q"' };
      expect(await client.request('echo', value)).toEqual(value);
      expect(await client.request('echo')).toBeNull();
      expect(await client.request('ask-back', 7)).toEqual({ asked: 7, answer: { side: 'client', got: 7 } });
      expect(await serverPeer.request('whoami', 'direct')).toEqual({ side: 'client', got: 'direct' });
    });

    it('carries bytes payloads with all 256 byte values, and empty ones, both ways', async () => {
      const { client, serverPeer, handlers } = await open();
      const reverse = (p: Uint8Array) => Uint8Array.from(p).reverse();
      handlers.handleBytes('reverse', reverse);
      client.handlers.handleBytes('reverse', reverse);
      const all = Uint8Array.from({ length: 512 }, (_, i) => i & 0xff);
      expect(plain(await client.requestBytes('reverse', all))).toEqual(reverse(all));
      expect(plain(await serverPeer.requestBytes('reverse', all))).toEqual(reverse(all));
      expect((await client.requestBytes('reverse', new Uint8Array(0))).length).toBe(0);
      // A payload that looks like frames must not confuse the reader.
      const framey = bytes('01r0001004echo00000002{}R000100000000f00000002');
      expect(str(await client.requestBytes('reverse', framey))).toBe(str(reverse(framey)));
    });

    it('carries a 1 MiB payload both ways', async () => {
      const { client, serverPeer, handlers } = await open();
      handlers.handleBytes('digest-echo', (p) => p);
      client.handlers.handleBytes('digest-echo', (p) => p);
      const big = randomBytes(1024 * 1024);
      const back = await client.requestBytes('digest-echo', big);
      expect(back.length).toBe(big.length);
      expect(await sha(back)).toBe(await sha(big));
      const back2 = await serverPeer.requestBytes('digest-echo', big);
      expect(await sha(back2)).toBe(await sha(big));
    });

    it('multiplexes 200 concurrent requests, answered out of order', async () => {
      const { client, handlers } = await open();
      const waiting: { i: number; done: (v: unknown) => void }[] = [];
      const all = gate();
      handlers.handle('held', async (v) => {
        const { i } = v as { i: number };
        const answer = deferred<unknown>();
        waiting.push({ i, done: answer.resolve });
        if (waiting.length === 200) all.resolve();
        return answer.promise;
      });
      const results = Array.from({ length: 200 }, (_, i) => client.request('held', { i }));
      // Every request is being served at the same time before any is answered.
      await within(all.promise, 10_000, 'all 200 requests to arrive');
      expect(waiting.length).toBe(200);
      for (const w of [...waiting].reverse()) w.done({ i: w.i, twice: w.i * 2 });
      const answers = await Promise.all(results);
      answers.forEach((a, i) => expect(a).toEqual({ i, twice: i * 2 }));
    });

    it('round-trips a stream request of 100 parts both ways', async () => {
      const { client, serverPeer, handlers } = await open();
      const upper = async function* (parts: AsyncIterable<Uint8Array>) {
        for await (const p of parts) yield bytes(str(p).toUpperCase());
      };
      handlers.handleStream('upper', upper);
      client.handlers.handleStream('upper', upper);
      const input = Array.from({ length: 100 }, (_, i) => `part ${i} ${'x'.repeat(i * 7)}`);
      async function* source() {
        for (const s of input) {
          yield bytes(s);
          if (s.length % 3 === 0) await delay(0);
        }
      }
      const out: string[] = [];
      for await (const part of client.stream('upper', source())) out.push(str(part));
      expect(out).toEqual(input.map((s) => s.toUpperCase()));
      const back: string[] = [];
      for await (const part of serverPeer.stream('upper', source())) back.push(str(part));
      expect(back).toEqual(input.map((s) => s.toUpperCase()));
    });

    it('streams 8 MiB in 512 KiB parts (backpressure) intact', async () => {
      const { client, handlers } = await open();
      handlers.handleStream('echo-stream', async function* (parts) {
        for await (const p of parts) yield p;
      });
      const chunks = Array.from({ length: 16 }, () => randomBytes(512 * 1024));
      const out = await client.stream('echo-stream', chunks).collect();
      expect(out.length).toBe(8 * 1024 * 1024);
      expect(await sha(out)).toBe(await sha(concat(chunks)));
    });

    it('delivers notifications both ways', async () => {
      const { client, serverPeer, handlers } = await open();
      const atServer = deferred<[unknown, Connection]>();
      const atClient = deferred<unknown>();
      const rawAtClient = deferred<Uint8Array>();
      handlers.onNotification('hello', (v, ctx) => atServer.resolve([v, ctx.peer]));
      client.handlers.onNotification('news', (v) => atClient.resolve(v));
      client.handlers.onNotificationBytes('raw', (p) => rawAtClient.resolve(p));
      client.notify('hello', { from: 'client', n: 1 });
      serverPeer.notify('news', ['from', 'server']);
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      serverPeer.notifyBytes('raw', all);
      const [value, peer] = await within(atServer.promise, 5000, 'the notification at the server');
      expect(value).toEqual({ from: 'client', n: 1 });
      expect(peer).toBe(serverPeer);
      expect(await within(atClient.promise, 5000, 'the notification at the client')).toEqual(['from', 'server']);
      expect(plain(await within(rawAtClient.promise, 5000, 'the raw notification'))).toEqual(all);
    });

    it('reports error results as RemoteError with the text, and stays usable', async () => {
      const { client, serverPeer, handlers } = await open();
      handlers.handle('fail', () => {
        throw new Error('kaputt: ünïcødé');
      });
      handlers.handle('echo', (v) => v);
      const err = await client.request('fail').catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'RemoteError', code: 'REMOTE_ERROR', message: 'kaputt: ünïcødé' });
      await expect(client.request('nope', {})).rejects.toMatchObject({ code: 'REMOTE_ERROR', message: 'unknown operation "nope"' });
      await expect(serverPeer.request('nope')).rejects.toMatchObject({ code: 'REMOTE_ERROR', message: 'unknown operation "nope"' });
      expect(await client.request('echo', 'still fine')).toBe('still fine');
    });

    it('a request the caller aborts or times out is cancelled on the other side: its handler sees its signal fire', async () => {
      const { client, handlers } = await open();
      const fired: unknown[] = [];
      let running = 0;
      handlers.handle('slow', (_v, ctx) => {
        running++;
        return new Promise((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            fired.push((ctx.signal.reason as { code?: string }).code);
            resolve(null);
          }),
        );
      });
      const controller = new AbortController();
      const aborted = client.request('slow', null, { signal: controller.signal }).catch((e: { code?: string }) => e.code);
      await waitFor(() => running === 1, 'the handler running');
      controller.abort();
      expect(await aborted).toBe('ABORTED');
      await waitFor(() => fired.length === 1, 'the handler cancelled');
      expect(await client.request('slow', null, { timeout: 50 }).catch((e: { code?: string }) => e.code)).toBe('TIMEOUT');
      await waitFor(() => fired.length === 2, 'the timed-out handler cancelled');
      expect(fired).toEqual(['ABORTED', 'ABORTED']);
    });

    it('retries after retry results, and gives up past the allowed retries', async () => {
      const { client, handlers } = await open();
      let calls = 0;
      handlers.handle('flaky', (_v, ctx) => {
        calls++;
        if (calls < 3) ctx.retry(20, 'busy, try later');
        return { calls };
      });
      const started = Date.now();
      expect(await client.request('flaky')).toEqual({ calls: 3 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(35); // waited the 20 ms twice
      handlers.handle('always-busy', (_v, ctx) => ctx.retry(5, 'still busy'));
      const err = await client.request('always-busy', null, { retries: 2 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'RetryExhaustedError', code: 'RETRY_EXHAUSTED', attempts: 3, wait: 5 });
      expect((err as Error).message).toContain('still busy');
    });

    it('closing with a request in flight completes it; the other side sees "remote"', async () => {
      const { client, serverPeer, handlers } = await open();
      const started = deferred();
      const release = gate();
      handlers.handle('slow', async () => {
        started.resolve();
        await release.promise;
        return 'done';
      });
      const pending = client.request('slow');
      await within(started.promise, 5000, 'the handler to start');
      const closing = client.close();
      expect(client.open).toBe(false);
      await expect(client.request('slow')).rejects.toMatchObject({ code: 'CLOSED' });
      await delay(20);
      release.resolve();
      expect(await within(pending, 5000, 'the request in flight')).toBe('done');
      expect(await within(closing, 5000, 'close()')).toEqual({ reason: 'closed', error: null });
      expect(await within(serverPeer.closed, 5000, 'the server side to close')).toEqual({ reason: 'remote', error: null });
    });

    it('the serving side closing lets the request it serves finish; the client sees "remote"', async () => {
      const { client, serverPeer, handlers } = await open();
      const started = deferred();
      const release = gate();
      handlers.handle('slow', async () => {
        started.resolve();
        await release.promise;
        return 'finished';
      });
      const pending = client.request('slow');
      await within(started.promise, 5000, 'the handler to start');
      const closing = serverPeer.close();
      await delay(20);
      expect(client.open).toBe(true);
      release.resolve();
      expect(await within(pending, 5000, 'the request in flight')).toBe('finished');
      expect((await within(closing, 5000, 'close()')).reason).toBe('closed');
      expect(await within(client.closed, 5000, 'the client to see the close')).toEqual({ reason: 'remote', error: null });
    });

    it("destroying one side fails the other side's pending requests with CLOSED", async () => {
      const { client, serverPeer } = await open();
      const started = deferred();
      const release = gate();
      client.handlers.handle('hang', async () => {
        started.resolve();
        await release.promise;
      });
      const pending = serverPeer.request('hang');
      await within(started.promise, 5000, 'the handler to start');
      client.destroy();
      await expect(within(pending, 5000, 'the pending request')).rejects.toMatchObject({ code: 'CLOSED' });
      expect(['remote', 'transport']).toContain((await within(serverPeer.closed, 5000, 'the server side to close')).reason);
      expect((await client.closed).reason).toBe('destroyed');
    });

    it('exchanges heartbeats, and a heartbeating idle link is not dropped', async () => {
      const { client, serverPeer } = await open({ heartbeatInterval: 25, idleTimeout: 120 });
      const atClient = heartbeatsIn(client);
      const atServer = heartbeatsIn(serverPeer);
      serverPeer.setLoad(0x1234);
      client.setLoad(7);
      await waitFor(() => atClient.length >= 3 && atServer.length >= 3, 'three heartbeats each way');
      await waitFor(() => client.remoteHeartbeat?.load === 0x1234 && serverPeer.remoteHeartbeat?.load === 7, 'the set loads');
      const now = Date.now() / 1000;
      for (const hb of [client.remoteHeartbeat!, serverPeer.remoteHeartbeat!]) {
        expect(Math.abs(hb.time - now)).toBeLessThan(5);
        expect(Math.abs(hb.receivedAt - Date.now())).toBeLessThan(2000);
      }
      // A quiet period of over 3x the idle timeout, with no requests: counted in heartbeats that
      // arrived on both sides (so both idle clocks ran through it), not slept through.
      const [c0, s0, since] = [atClient.length, atServer.length, Date.now()];
      const quietEnough = () => atClient.length >= c0 + 16 && atServer.length >= s0 + 16 && Date.now() - since > 3 * 120;
      await waitFor(() => quietEnough() || !client.open || !serverPeer.open, '16 more heartbeats each way');
      expect(client.open).toBe(true);
      expect(serverPeer.open).toBe(true);
    });
  });
}
