import { describe, expect, test } from 'vitest';
import { AbortedError, ClosedError, connectedPeers, GotalkError, PayloadTooLargeError, RemoteError, TimeoutError, type Peer } from '@gotalk/peer';
import { bytes, deferred, delay, errorOf, str, waitFor } from '@gotalk/test-kit';
import { framesOf, rawPeer, tappedPeers } from './helpers.ts';

describe('JSON and bytes requests', () => {
  test('JSON values round-trip through a handler', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('echo', (v) => v);
    const values = [{ x: 1, y: [true, null, 'é😀'] }, [1, 2, 3], 'text', 0, -1.5, true, false, null, { nested: { deep: { deeper: [{}] } } }];
    for (const v of values) expect(await a.request('echo', v)).toEqual(v);
    a.destroy();
  });

  test('the handler receives the decoded value and its answer is encoded as JSON on the wire', async () => {
    const { a, b, sent } = tappedPeers();
    b.handlers.handle('sum', (v) => (v as number[]).reduce((x, y) => x + y, 0));
    expect(await a.request('sum', [1, 2, 3])).toBe(6);
    const [r] = framesOf(sent('a'), 'r');
    expect(r!.op).toBe('sum');
    expect(str(r!.payload)).toBe('[1,2,3]');
    const [R] = framesOf(sent('b'), 'R');
    expect(R!.id).toBe(r!.id);
    expect(str(R!.payload)).toBe('6');
    a.destroy();
  });

  test('bytes requests carry any bytes unchanged, both ways', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handleBytes('rev', (p) => p.slice().reverse());
    const all = new Uint8Array(256).map((_, i) => i);
    const out = await a.requestBytes('rev', all);
    expect(Array.from(out)).toEqual(Array.from(all).reverse());
    expect((await a.requestBytes('rev', new Uint8Array(0))).length).toBe(0);
    a.destroy();
  });

  test('sizes are counted in UTF-8 bytes (non-BMP text survives)', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('echo', (v) => v);
    const s = '😀𝄞€é'.repeat(500);
    expect(await a.request('echo', s)).toBe(s);
    expect(await a.request('echo', 'après')).toBe('après');
    a.destroy();
  });

  test('a request without a value sends null on the wire and the handler sees null', async () => {
    const { a, b, sent } = tappedPeers();
    const seen: unknown[] = [];
    b.handlers.handle('see', (v) => {
      seen.push(v);
      return 'ok';
    });
    await a.request('see');
    await a.request('see', undefined);
    expect(seen).toEqual([null, null]);
    expect(framesOf(sent('a'), 'r').map((r) => str(r.payload))).toEqual(['null', 'null']);
    a.destroy();
  });

  test('a JSON handler returning undefined answers null', async () => {
    const { a, b, sent } = tappedPeers();
    b.handlers.handle('nothing', () => undefined);
    expect(await a.request('nothing')).toBeNull();
    expect(str(framesOf(sent('b'), 'R')[0]!.payload)).toBe('null');
    a.destroy();
  });

  test('an empty result resolves a JSON request with undefined', async () => {
    const { a, b, sent } = tappedPeers();
    b.handlers.handleBytes('empty', () => new Uint8Array(0));
    await expect(a.request('empty', 1)).resolves.toBeUndefined();
    expect(framesOf(sent('b'), 'R')[0]!.payload.length).toBe(0);
    a.destroy();
  });

  test('a result that is not JSON rejects a JSON request (and the connection stays up)', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handleBytes('garbage', () => bytes('{not json'));
    b.handlers.handle('echo', (v) => v);
    await expect(a.request('garbage')).rejects.toMatchObject({ code: 'INVALID_JSON', cause: expect.any(SyntaxError) });
    expect(await a.request('echo', 5)).toBe(5);
    a.destroy();
  });

  test('requests made before the handshake completes are sent after it', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('echo', (v) => v);
    const p = a.request('echo', 'early'); // synchronously after construction
    expect(await p).toBe('early');
    await a.ready;
    a.destroy();
  });
});

describe('concurrency', () => {
  test('500 concurrent requests in both directions at once, each answered correctly', async () => {
    const { a, b, wire } = tappedPeers();
    const handler = (side: string) => async (v: unknown) => {
      await delay(Math.floor(Math.random() * 5));
      return { side, v };
    };
    a.handlers.handle('work', handler('a'));
    b.handlers.handle('work', handler('b'));
    const n = 500;
    const fromA = Array.from({ length: n }, (_, i) => a.request('work', i));
    const fromB = Array.from({ length: n }, (_, i) => b.request('work', `b${i}`));
    const [ra, rb] = await Promise.all([Promise.all(fromA), Promise.all(fromB)]);
    ra.forEach((r, i) => expect(r).toEqual({ side: 'b', v: i }));
    rb.forEach((r, i) => expect(r).toEqual({ side: 'a', v: `b${i}` }));
    expect(a.inFlight).toBe(0);
    expect(b.inFlight).toBe(0);

    // Every request got exactly one reply, under its own id, and no id was reused while in flight.
    for (const side of ['a', 'b'] as const) {
      const other = side === 'a' ? 'b' : 'a';
      const open = new Set<number>();
      let requests = 0;
      let replies = 0;
      for (const { from, frame } of wire) {
        if (from === side && frame.type === 'r') {
          expect(open.has(frame.id), `id ${frame.id} reused while in flight`).toBe(false);
          open.add(frame.id);
          requests++;
        } else if (from === other && (frame.type === 'R' || frame.type === 'E' || frame.type === 'e')) {
          expect(open.delete(frame.id), `reply for id ${frame.id} not in flight`).toBe(true);
          replies++;
        }
      }
      expect(requests).toBe(n);
      expect(replies).toBe(n);
      expect(open.size).toBe(0);
    }
    a.destroy();
  });

  test('single request ids wrap around and skip ids still in flight', async () => {
    const { a, b, sent } = tappedPeers();
    const gate = deferred();
    b.handlers.handle('hold', () => gate.promise.then(() => 'held'));
    b.handlers.handle('echo', (v) => v);
    const held = a.request('hold'); // id 0, stays in flight
    await waitFor(() => framesOf(sent('a'), 'r').length === 1);
    expect(framesOf(sent('a'), 'r')[0]!.id).toBe(0);
    // Jump the single-id counter to just before its wrap point.
    (a as unknown as { nextSingle: number }).nextSingle = 0x7ffffffe;
    const results = await Promise.all([a.request('echo', 1), a.request('echo', 2), a.request('echo', 3)]);
    expect(results).toEqual([1, 2, 3]);
    const ids = framesOf(sent('a'), 'r').map((r) => r.id);
    expect(ids).toEqual([0, 0x7ffffffe, 0x7fffffff, 1]); // 0 is still in flight: skipped
    gate.resolve();
    expect(await held).toBe('held');
    a.destroy();
  });
});

describe('timeouts and aborts', () => {
  test('a request times out with TimeoutError TIMEOUT at its deadline, not when the reply comes', async () => {
    const [a, b] = connectedPeers();
    const release = deferred();
    b.handlers.handle('slow', () => release.promise.then(() => 'late'));
    const start = Date.now();
    const err = await errorOf(a.request('slow', null, { timeout: 30 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe('TIMEOUT');
    expect(Date.now() - start).toBeLessThan(2000);
    expect(a.inFlight).toBe(0);
    release.resolve();
    a.destroy();
  });

  test('the peer-wide requestTimeout applies when no timeout is given', async () => {
    const [a, b] = connectedPeers({ requestTimeout: 30 });
    b.handlers.handle('never', () => new Promise(() => {}));
    const err = await errorOf(a.request('never'));
    expect(err.code).toBe('TIMEOUT');
    a.destroy();
  });

  test('a late reply after a timeout is ignored and does not settle another request', async () => {
    const r = rawPeer();
    const a = r.peer;
    const first = a.request('op', 1, { timeout: 20 });
    const req1 = await r.waitFrame('r');
    expect((await errorOf(first)).code).toBe('TIMEOUT');
    const second = a.request('op', 2);
    const req2 = await r.waitFrame('r', (f) => f.id !== req1.id);
    // The late reply for the timed-out id arrives first, then the right one.
    r.send({ type: 'R', id: req1.id, payload: bytes('"late"') });
    await delay(10);
    r.send({ type: 'R', id: req2.id, payload: bytes('"second"') });
    expect(await second).toBe('second');
    expect(a.open).toBe(true);
    expect(a.inFlight).toBe(0);
    a.destroy();
  });

  test('a late reply from a real peer after the timeout changes nothing', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('slow', async (v) => {
      await delay(60);
      return v;
    });
    b.handlers.handle('echo', (v) => v);
    expect((await errorOf(a.request('slow', 'x', { timeout: 10 }))).code).toBe('TIMEOUT');
    const pending = a.request('slow', 'y', { timeout: 5000 });
    await delay(80); // the first reply arrives in this window
    expect(await pending).toBe('y');
    expect(await a.request('echo', 'z')).toBe('z');
    a.destroy();
  });

  test('aborting rejects at once with AbortedError ABORTED carrying the reason', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('never', () => new Promise(() => {}));
    const ac = new AbortController();
    const p = a.request('never', null, { signal: ac.signal });
    await delay(10);
    const reason = new Error('user gave up');
    ac.abort(reason);
    const err = await errorOf(p);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err.code).toBe('ABORTED');
    expect(err.cause).toBe(reason);
    expect(a.inFlight).toBe(0);
    a.destroy();
  });

  test('an already aborted signal rejects without sending anything', async () => {
    const { a, b, sent } = tappedPeers();
    b.handlers.handle('echo', (v) => v);
    const err = await errorOf(a.request('echo', 1, { signal: AbortSignal.abort() }));
    expect(err).toBeInstanceOf(AbortedError);
    expect(err.code).toBe('ABORTED');
    expect(await a.request('echo', 2)).toBe(2);
    expect(framesOf(sent('a'), 'r').map((r) => str(r.payload))).toEqual(['2']);
    a.destroy();
  });

  test('aborting after the request completed does nothing', async () => {
    const [a, b] = connectedPeers();
    b.handlers.handle('echo', (v) => v);
    const ac = new AbortController();
    expect(await a.request('echo', 1, { signal: ac.signal })).toBe(1);
    ac.abort();
    expect(await a.request('echo', 2)).toBe(2);
    a.destroy();
  });
});

describe('local checks', () => {
  test('a payload over maxPayload is rejected locally with PAYLOAD_TOO_LARGE and never sent', async () => {
    const { a, b, sent } = tappedPeers({ limits: { maxPayload: 100 } });
    b.handlers.handleBytes('echo', (p) => p);
    const err = await errorOf(a.requestBytes('echo', new Uint8Array(101)));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect((err as PayloadTooLargeError).size).toBe(101);
    expect((err as PayloadTooLargeError).limit).toBe(100);
    expect((await errorOf(a.request('echo', 'x'.repeat(200)))).code).toBe('PAYLOAD_TOO_LARGE');
    // Exactly at the limit is fine.
    expect((await a.requestBytes('echo', new Uint8Array(100))).length).toBe(100);
    expect(framesOf(sent('a'), 'r').map((r) => r.payload.length)).toEqual([100]);
    a.destroy();
  });

  test.each([
    ['empty', ''],
    ['4096 ASCII bytes', 'x'.repeat(4096)],
    ['4096 UTF-8 bytes in 2048 characters', 'é'.repeat(2048)],
  ])('an invalid op name (%s) rejects with INVALID_NAME and sends nothing', async (_label, op) => {
    const { a, b, sent } = tappedPeers();
    b.handlers.handle('echo', (v) => v);
    const err = await errorOf(a.request(op, 1));
    expect(err).toBeInstanceOf(GotalkError);
    expect(err.code).toBe('INVALID_NAME');
    expect(a.inFlight).toBe(0);
    expect(await a.request('echo', 'still fine')).toBe('still fine');
    expect(framesOf(sent('a'), 'r').map((r) => r.op)).toEqual(['echo']);
    a.destroy();
  });

  test('an op name of exactly 4095 bytes works', async () => {
    const [a, b] = connectedPeers();
    const op = 'é'.repeat(2047) + 'x'; // 4095 bytes
    b.handlers.handle(op, () => 'long');
    expect(await a.request(op)).toBe('long');
    a.destroy();
  });

  test('a request after the connection closed rejects with CLOSED', async () => {
    const [a] = connectedPeers();
    a.destroy();
    const err = await errorOf(a.request('echo'));
    expect(err).toBeInstanceOf(ClosedError);
    expect(err.code).toBe('CLOSED');
  });

  test('an error result rejects with RemoteError REMOTE_ERROR', async () => {
    const [a, b]: [Peer, Peer] = connectedPeers();
    b.handlers.handle('fail', () => {
      throw new Error('no way');
    });
    const err = await errorOf(a.request('fail'));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.code).toBe('REMOTE_ERROR');
    expect(err.message).toBe('no way');
    a.destroy();
  });
});
