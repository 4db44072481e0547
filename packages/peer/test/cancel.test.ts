// The cancel extension: a requestor that gives up (abort, timeout, a stream result it stops
// reading) tells the responder, whose handler sees its signal fire, its stream input fail with
// ABORTED, and whose answer is never sent. Stale, unknown and hostile cancels are harmless.
import { afterEach, describe, expect, test } from 'vitest';
import { CANCEL_NOTIFICATION, connectedPeers, type Peer } from '@gotalk/peer';
import { bin, deferred, errorOf, latin1, scriptedPeer, waitFor } from '@gotalk/test-kit';

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

function pair(): [Peer, Peer] {
  const [a, b] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
  peers.push(a, b);
  return [a, b];
}

/** A handler that waits until its signal fires and records when and why. */
function waiter(b: Peer, op: string) {
  const fired = deferred<{ at: number; reason: unknown }>();
  let started = 0;
  b.handlers.handle(op, (_v, ctx) => {
    started++;
    return new Promise((resolve) => {
      ctx.signal.addEventListener('abort', () => {
        fired.resolve({ at: performance.now(), reason: ctx.signal.reason });
        resolve('too late');
      });
    });
  });
  return { fired: fired.promise, started: () => started };
}

describe('a request the caller gives up on', () => {
  test("an abort: the handler's signal fires within a few ms, with ABORTED", async () => {
    const [a, b] = pair();
    const w = waiter(b, 'slow');
    const controller = new AbortController();
    const pending = errorOf(a.request('slow', null, { signal: controller.signal }));
    await waitFor(() => w.started() === 1, 'the handler running', 2000);
    const abortedAt = performance.now();
    controller.abort();
    expect((await pending).code).toBe('ABORTED');
    const { at, reason } = await w.fired;
    expect(at - abortedAt).toBeLessThan(200);
    expect(reason).toMatchObject({ code: 'ABORTED', message: 'the requestor cancelled the request' });
  });

  test("a timeout: the handler's signal fires too", async () => {
    const [a, b] = pair();
    const w = waiter(b, 'slow');
    const started = performance.now();
    expect((await errorOf(a.request('slow', null, { timeout: 50 }))).code).toBe('TIMEOUT');
    const { at } = await w.fired;
    expect(at - started).toBeLessThan(50 + 200);
  });

  test('a cancelled upload is seen as cancelled, not as a normal end of input', async () => {
    const [a, b] = pair();
    const seen = deferred<unknown>();
    b.handlers.handleStream('up', async function* (parts) {
      try {
        for await (const part of parts) void part;
        seen.resolve('normal end');
      } catch (err) {
        seen.resolve(err);
      }
      yield new Uint8Array([1]);
    });
    const controller = new AbortController();
    let sent = 0;
    async function* slow() {
      for (;;) {
        yield new Uint8Array([sent++]);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    const call = a.stream('up', slow(), { signal: controller.signal });
    await waitFor(() => sent > 3, 'parts going out', 2000);
    controller.abort();
    expect((await errorOf(call.collect())).code).toBe('ABORTED');
    expect(await seen.promise).toMatchObject({ code: 'ABORTED' });
  });

  test('a stream result the caller stops reading: the producer is told and stops', async () => {
    const [a, b] = pair();
    let produced = 0;
    const stopped = deferred<void>();
    b.handlers.handleStream('count', async function* () {
      try {
        for (;;) {
          produced++;
          yield new Uint8Array(1024);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      } finally {
        stopped.resolve();
      }
    });
    let read = 0;
    for await (const part of a.stream('count')) {
      void part;
      if (++read === 5) break;
    }
    await stopped.promise;
    const atStop = produced;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(produced).toBe(atStop);
    expect(produced).toBeLessThan(50);
    await waitFor(() => b.inFlight === 0, 'the responder idle', 2000);
  });

  test('the cancelled request is never answered, and its id is free at once for a new request', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    peer.handlers.handleBytes('slow', async () => {
      const n = ++calls;
      if (n === 1) await gate;
      return new TextEncoder().encode(`answer ${n}`);
    });
    t.feed(bin(`01r0001004slow00000000n007${CANCEL_NOTIFICATION}000000040001r0001004slow00000000`));
    const r = await t.nextFrame('R');
    expect(new TextDecoder().decode(r.payload)).toBe('answer 2');
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.frames.filter((f) => f.type === 'R' || f.type === 'E').length).toBe(1);
    expect(calls).toBe(2);
    expect(peer.inFlight).toBe(0);
  });
});

describe('the wire', () => {
  test('an abort sends n007$cancel with the 4 id bytes, before the empty p of an upload in progress', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    t.feed('01');
    const controller = new AbortController();
    const call = peer.stream(
      'up',
      (async function* () {
        yield new Uint8Array([0x61]);
        await new Promise(() => {}); // the source never ends
      })(),
      { signal: controller.signal },
    );
    const s = await t.nextFrame('s');
    controller.abort();
    await errorOf(call.collect());
    await t.until(() => t.frames.some((f) => f.type === 'p'), 'the end of the upload');
    const idBytes = latin1(Uint8Array.of(s.id >>> 24, (s.id >>> 16) & 0xff, (s.id >>> 8) & 0xff, s.id & 0xff));
    expect(t.outputText.endsWith(`n007$cancel00000004${idBytes}p${idBytes}00000000`)).toBe(true);
  });

  test('a request answered, or waiting to retry, sends no cancel', async () => {
    const [a, b] = pair();
    b.handlers.handle('echo', (v) => v);
    const sent: string[] = [];
    a.onActivity((e) => e.type === 'notification' && e.dir === 'out' && sent.push(e.name));
    let seenByB = 0;
    b.onActivity((e) => e.type === 'notification' && e.dir === 'in' && e.name === CANCEL_NOTIFICATION && seenByB++);
    const controller = new AbortController();
    expect(await a.request('echo', 1, { signal: controller.signal })).toBe(1);
    controller.abort(); // after the answer: nothing to cancel
    b.handlers.handle('later', (_v, ctx) => ctx.retry(5000));
    const retried = new AbortController();
    const pending = errorOf(a.request('later', null, { signal: retried.signal }));
    await waitFor(() => b.inFlight === 0, 'the retry result sent', 2000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    retried.abort(); // waiting for its retry: the other side has nothing running
    expect((await pending).code).toBe('ABORTED');
    expect(await a.request('echo', 2)).toBe(2); // a round trip: anything sent before has arrived
    expect(seenByB).toBe(0);
  });
});

describe('cancels that name nothing', () => {
  test('unknown ids, ids of finished requests and malformed payloads are ignored; handlers never see the reserved name', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    let seen = 0;
    peer.handlers.onNotificationBytes(CANCEL_NOTIFICATION, () => void seen++);
    peer.handlers.handleBytes('echo', (p) => p);
    t.feed(bin('01r0001004echo00000002hi'));
    await t.nextFrame('R');
    t.feed(bin(`n007$cancel000000040001n007$cancel00000004zzzzn007$cancel00000002xyn007$cancel00000000`));
    t.feed(bin('r0002004echo00000002ok'));
    const r = await t.nextFrame('R');
    expect(new TextDecoder().decode(r.payload)).toBe('ok');
    expect(seen).toBe(0);
    expect(peer.open).toBe(true);
  });

  test("a cancel touches only the named request: others on the connection, and another connection's, run on", async () => {
    const [a, b] = pair();
    const [c, d] = pair();
    const done: string[] = [];
    const slow = (name: string) => (_v: unknown, ctx: { signal: AbortSignal }) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => (done.push(name), resolve(name)), 100);
        ctx.signal.addEventListener('abort', () => (clearTimeout(timer), done.push(`${name} aborted`), resolve(null)));
      });
    b.handlers.handle('one', slow('one'));
    b.handlers.handle('two', slow('two'));
    d.handlers.handle('one', slow('other'));
    const controller = new AbortController();
    const first = errorOf(a.request('one', null, { signal: controller.signal }));
    const second = a.request('two');
    const other = c.request('one');
    await waitFor(() => b.inFlight === 2 && d.inFlight === 1, 'three handlers running', 2000);
    controller.abort();
    expect((await first).code).toBe('ABORTED');
    expect(await second).toBe('two');
    expect(await other).toBe('other');
    expect(done.sort()).toEqual(['one aborted', 'other', 'two']);
  });
});
