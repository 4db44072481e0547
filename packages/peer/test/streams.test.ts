// Stream requests and stream results between two peers (and against raw bytes where the wire
// shape is the point).
import { afterEach, describe, expect, test } from 'vitest';
import { ClosedError, connectedPeers, RemoteError, text, utf8, type ActivityEvent, type Peer, type PeerOptions, type ResultStream } from '@gotalk/peer';
import { deferred, delay, scriptedPeer, waitFor } from '@gotalk/test-kit';

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

function pair(a: PeerOptions = {}, b: PeerOptions = {}): [Peer, Peer] {
  const ps = connectedPeers(a, b);
  peers.push(...ps);
  return ps;
}

const EMPTY = new Uint8Array(0);
const strs = (...xs: string[]) => xs.map((x) => utf8(x));

async function texts(stream: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const p of stream) out.push(text(p));
  return out;
}

/** Registers an upper-casing stream handler. */
function upper(peer: Peer, op = 'upper'): void {
  peer.handlers.handleStream(op, async function* (parts) {
    for await (const p of parts) yield utf8(text(p).toUpperCase());
  });
}

describe('stream requests', () => {
  test('either peer can call the other, at the same time', async () => {
    const [a, b] = pair();
    upper(a);
    upper(b);
    const [fromB, fromA] = await Promise.all([texts(a.stream('upper', strs('a', 'b', 'c'))), texts(b.stream('upper', strs('x', 'y')))]);
    expect(fromB).toEqual(['A', 'B', 'C']);
    expect(fromA).toEqual(['X', 'Y']);
  });

  test('a handler may call back into the requestor while streaming', async () => {
    const [a, b] = pair();
    a.handlers.handle('double', (v) => (v as number) * 2);
    b.handlers.handleStream('doubles', async function* (parts, ctx) {
      for await (const p of parts) yield utf8(String(await ctx.peer.request('double', Number(text(p)))));
    });
    expect(await texts(a.stream('doubles', strs('1', '2', '3')))).toEqual(['2', '4', '6']);
  });

  test('the handler gets parts as an async iterable and may answer a sync iterable', async () => {
    const [a, b] = pair();
    const seen: string[] = [];
    b.handlers.handleStream('sync', async (parts) => {
      for await (const p of parts) seen.push(text(p));
      return [utf8(seen.join('+')), utf8('done')];
    });
    expect(await texts(a.stream('sync', strs('a', 'b')))).toEqual(['a+b', 'done']);
    expect(seen).toEqual(['a', 'b']);
  });

  test('the handler may answer with a sync generator', async () => {
    const [a, b] = pair();
    b.handlers.handleStream('gen', function* () {
      for (let i = 0; i < 3; i++) yield utf8(`#${i}`);
    });
    expect(await texts(a.stream('gen', strs('ignored')))).toEqual(['#0', '#1', '#2']);
  });

  test('the handler may answer an async iterable', async () => {
    const [a, b] = pair();
    b.handlers.handleStream('slow', async function* () {
      for (let i = 0; i < 3; i++) {
        await delay(2);
        yield utf8(`${i}`);
      }
    });
    expect(await texts(a.stream('slow', strs('go')))).toEqual(['0', '1', '2']);
  });

  test('the handler may answer one Uint8Array: one R, one part', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    peer.handlers.handleStream('count', async (parts) => {
      let n = 0;
      for await (const p of parts) n += p.length;
      return utf8(String(n));
    });
    t.feed('01s0001005count00000003abcp000100000002dep000100000000');
    await t.nextFrame('R');
    expect(t.outputText).toBe('01R0001000000015');

    const [a, b] = pair();
    b.handlers.handleStream('count', async (parts) => {
      let n = 0;
      for await (const p of parts) n += p.length;
      return utf8(String(n));
    });
    expect(await texts(a.stream('count', strs('abc', 'de')))).toEqual(['5']);
  });

  test('a stream handler answering an empty Uint8Array gives an empty result', async () => {
    const [a, b] = pair();
    b.handlers.handleStream('nothing', () => EMPTY);
    expect(await texts(a.stream('nothing', strs('x')))).toEqual([]);
    expect((await a.stream('nothing', strs('x')).collect()).length).toBe(0);
  });

  test('async iterable input sources', async () => {
    const [a, b] = pair();
    upper(b);
    async function* source() {
      for (const s of ['p', 'q']) {
        await delay(1);
        yield utf8(s);
      }
    }
    expect(await texts(a.stream('upper', source()))).toEqual(['P', 'Q']);
  });

  test('an empty input source sends an empty stream', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    t.handshake();
    const call = peer.stream('op', []);
    const s = await t.nextFrame('s');
    const end = await t.nextFrame('p');
    expect(s.payload.length).toBe(0);
    expect(end.payload.length).toBe(0);
    t.feedFrames({ type: 'S', id: s.id, payload: utf8('r') }, { type: 'S', id: s.id, payload: EMPTY });
    expect(await texts(call)).toEqual(['r']);
  });
});

describe('mixed forms', () => {
  test('a stream request to a handleBytes handler: it gets the joined parts', async () => {
    const [a, b] = pair();
    b.handlers.handleBytes('join', (p) => utf8(`[${text(p)}]`));
    expect(await texts(a.stream('join', strs('ab', 'cd', 'e')))).toEqual(['[abcde]']);
  });

  test('a stream request to a JSON handler: the parts form one JSON value', async () => {
    const [a, b] = pair();
    b.handlers.handle('sum', (v) => (v as number[]).reduce((x, y) => x + y, 0));
    const out = await a.stream('sum', strs('[1,', '2,', '3]')).collect();
    expect(JSON.parse(text(out))).toBe(6);
  });

  test('the joined parts of a stream request are bounded by maxPayload', async () => {
    const [a, b] = pair({}, { limits: { maxPayload: 8 } });
    b.handlers.handleBytes('join', (p) => p);
    await expect(a.stream('join', strs('12345', '67890')).collect()).rejects.toThrow(/exceeds the limit of 8 bytes/);
    expect(await texts(a.stream('join', strs('1234', '5678')))).toEqual(['12345678']);
  });

  test('a single request with a stream result: peer.stream(op, payloadBytes)', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    t.handshake();
    const call = peer.stream('count', utf8('3'));
    const r = await t.nextFrame('r');
    expect(text(r.payload)).toBe('3');

    const [a, b] = pair();
    b.handlers.handleStream('count', async function* (parts) {
      let n = 0;
      for await (const p of parts) n += Number(text(p));
      for (let i = 1; i <= n; i++) yield utf8(String(i));
    });
    expect(await texts(a.stream('count', utf8('3')))).toEqual(['1', '2', '3']);
    // and a plain request gets the stream result joined
    expect(text(await a.requestBytes('count', utf8('4')))).toBe('1234');
    // a single request answered by an R gives one part
    b.handlers.handleBytes('one', (p) => p);
    expect(await texts(a.stream('one', utf8('only')))).toEqual(['only']);
    await call[Symbol.asyncIterator]().return?.(); // abandon the scripted call
  });

  test('an empty single payload reaches a stream handler as no parts', async () => {
    const [a, b] = pair();
    b.handlers.handleStream('n', async (parts) => {
      let n = 0;
      for await (const _ of parts) n++;
      return utf8(String(n));
    });
    expect(await texts(a.stream('n'))).toEqual(['0']);
    expect(await texts(a.stream('n', utf8('x')))).toEqual(['1']);
  });
});

describe('empty parts', () => {
  test('an empty first s part does not end the stream (wire)', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    const seen: string[] = [];
    peer.handlers.handleStream('sjoin', async function* (parts) {
      for await (const p of parts) {
        seen.push(text(p));
        yield utf8(text(p).toUpperCase());
      }
    });
    t.feed('01s0001005sjoin00000000');
    t.feed('p000100000003abc');
    await t.nextFrame('S');
    t.feed('p000100000000');
    await t.nextFrame('S', (f) => f.payload.length === 0);
    expect(t.outputText).toBe('01S000100000003ABCS000100000000');
    expect(seen).toEqual(['abc']);
  });

  test('an empty first part from the source goes out as an empty s and the stream goes on', async () => {
    const [a, b] = pair();
    const seen: string[] = [];
    b.handlers.handleStream('rec', async function* (parts) {
      for await (const p of parts) seen.push(text(p));
      yield utf8(seen.join(','));
    });
    expect(await texts(a.stream('rec', [EMPTY, ...strs('a', 'b')]))).toEqual(['a,b']);
    expect(seen).toEqual(['a', 'b']);
  });

  test('empty parts in the middle of the input are skipped, not sent as an end', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    t.handshake();
    const call = peer.stream('rec', [utf8('a'), EMPTY, utf8('b'), EMPTY]);
    await t.nextFrame('p', (f) => f.payload.length === 0);
    const sent = t.frames.filter((f) => f.type === 's' || f.type === 'p').map((f) => ('payload' in f ? text(f.payload) : ''));
    expect(sent).toEqual(['a', 'b', '']);
    call.collect().catch(() => {});
  });

  test('empty parts yielded by a handler are skipped and do not end the result', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    peer.handlers.handleStream('gaps', function* () {
      yield EMPTY;
      yield utf8('a');
      yield EMPTY;
      yield EMPTY;
      yield utf8('b');
    });
    t.feed('01r0001004gaps00000000');
    await t.nextFrame('S', (f) => f.payload.length === 0);
    expect(t.outputText).toBe('01S000100000001aS000100000001bS000100000000');

    const [a, b] = pair();
    b.handlers.handleStream('gaps', async function* () {
      yield utf8('x');
      yield EMPTY;
      yield utf8('y');
    });
    expect(await texts(a.stream('gaps', strs('go')))).toEqual(['x', 'y']);
  });
});

describe('order, failures and consumers', () => {
  test('1000 parts keep their order both ways', async () => {
    const [a, b] = pair();
    const received: number[] = [];
    b.handlers.handleStream('echo', async function* (parts) {
      for await (const p of parts) {
        received.push(Number(text(p)));
        yield p;
      }
    });
    const input = Array.from({ length: 1000 }, (_, i) => utf8(String(i)));
    const out = (await texts(a.stream('echo', input))).map(Number);
    const expected = Array.from({ length: 1000 }, (_, i) => i);
    expect(received).toEqual(expected);
    expect(out).toEqual(expected);
  });

  test('a handler throwing midway: the parts already sent, then RemoteError', async () => {
    const [a, b] = pair();
    b.handlers.handleStream('flaky', async function* () {
      yield utf8('one');
      yield utf8('two');
      throw new Error('broke at three');
    });
    const got: string[] = [];
    let error: unknown = null;
    try {
      for await (const p of a.stream('flaky', strs('x'))) got.push(text(p));
    } catch (err) {
      error = err;
    }
    expect(got).toEqual(['one', 'two']);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).message).toBe('broke at three');
    expect(await a.request('missing').catch((e: unknown) => e)).toBeInstanceOf(RemoteError); // still connected
  });

  test('a handler throwing before any part: RemoteError from collect()', async () => {
    const [a, b] = pair();
    b.handlers.handleStream('bad', () => {
      throw new Error('no');
    });
    await expect(a.stream('bad', strs('x')).collect()).rejects.toThrow(new RemoteError('no'));
  });

  test('the input source throwing fails the call here and ends the remote handler input', async () => {
    const [a, b] = pair();
    const seen: string[] = [];
    const inputEnded = deferred();
    let handlerError: unknown = null;
    b.handlers.handleStream('rec', async function* (parts) {
      try {
        for await (const p of parts) seen.push(text(p));
      } catch (err) {
        handlerError = err;
      }
      inputEnded.resolve();
      yield utf8('ignored');
    });
    async function* source() {
      yield utf8('1');
      yield utf8('2');
      await delay(5);
      throw new Error('source broke');
    }
    const call = a.stream('rec', source());
    await expect(texts(call)).rejects.toThrow('source broke');
    await inputEnded.promise;
    expect(seen).toEqual(['1', '2']);
    expect(handlerError).toBeNull();
    await waitFor(() => a.inFlight === 0 && b.inFlight === 0, 'both sides to be idle');
    expect(await a.request('missing').catch((e: unknown) => e)).toBeInstanceOf(RemoteError);
  });

  test('collect() joins the parts', async () => {
    const [a, b] = pair();
    upper(b);
    expect(text(await a.stream('upper', strs('ab', 'c', 'de')).collect())).toBe('ABCDE');
  });

  test('collect() after reading some parts returns the rest', async () => {
    const [a, b] = pair();
    upper(b);
    const call = a.stream('upper', strs('a', 'b', 'c'));
    const it = call[Symbol.asyncIterator]();
    expect(text((await it.next()).value as Uint8Array)).toBe('A');
    expect(text(await call.collect())).toBe('BC');
  });

  test('a consumer that breaks early discards the rest; the connection keeps working', async () => {
    const [a, b] = pair();
    const produced = { n: 0 };
    const finished = deferred();
    b.handlers.handleStream('many', async function* () {
      try {
        for (let i = 0; i < 200; i++) {
          produced.n++;
          yield utf8(`part ${i}`);
        }
      } finally {
        finished.resolve();
      }
    });
    const events: ActivityEvent[] = [];
    a.onActivity((e) => events.push(e));
    const cancels: string[] = [];
    b.onActivity((e) => e.type === 'notification' && e.dir === 'in' && cancels.push(e.name));
    let first = '';
    for await (const p of a.stream('many', strs('go'))) {
      first = text(p);
      break;
    }
    expect(first).toBe('part 0');
    await finished.promise;
    // Breaking out cancels the call (the cancel extension): the responder is told, and its
    // producer stops, or has already finished if it made all its parts before the cancel came.
    expect(cancels).toEqual(['$cancel']);
    expect(produced.n).toBeGreaterThanOrEqual(1);
    expect(produced.n).toBeLessThanOrEqual(200);
    await waitFor(() => a.inFlight === 0, 'the abandoned call to end');
    upper(b);
    expect(await texts(a.stream('upper', strs('still', 'ok')))).toEqual(['STILL', 'OK']);
    expect(a.open && b.open).toBe(true);
    expect(events.some((e) => e.type === 'close')).toBe(false);
  });
});

describe('limits', () => {
  test('streams disabled (maxStreams 0): RemoteError "stream requests not supported"', async () => {
    const [a, b] = pair({}, { limits: { maxStreams: 0 } });
    upper(b);
    const err = await a
      .stream('upper', strs('x'))
      .collect()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).message).toBe('stream requests not supported');
    // a single request still reaches the stream handler
    expect(await texts(a.stream('upper', utf8('single')))).toEqual(['SINGLE']);
  });

  test('over maxStreams: a retry result, then success once a slot frees', async () => {
    const [a, b] = pair({}, { limits: { maxStreams: 1, retryWait: [20, 20] } });
    const hold = deferred();
    b.handlers.handleStream('hold', async function* (parts) {
      for await (const _ of parts);
      await hold.promise;
      yield utf8('held');
    });
    upper(b);
    const retries: ActivityEvent[] = [];
    b.onActivity((e) => {
      if (e.type === 'reply' && e.dir === 'out' && e.kind === 'retry') retries.push(e);
    });
    const kindsIn: string[] = []; // the requestor sees the replies as activity too
    a.onActivity((e) => {
      if (e.type === 'reply' && e.dir === 'in') kindsIn.push(e.kind);
    });
    const first = a.stream('hold', strs('h'));
    await waitFor(() => b.inFlight === 1, 'the first stream to be served');
    const second = texts(a.stream('upper', strs('a', 'b'), { retries: 50 }));
    await waitFor(() => retries.length >= 1, 'a retry result');
    hold.resolve();
    expect(await texts(first)).toEqual(['held']);
    expect(await second).toEqual(['A', 'B']);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(kindsIn.filter((k) => k === 'retry')).toHaveLength(retries.length);
    expect(kindsIn.filter((k) => k !== 'retry')).toEqual(['part', 'end', 'part', 'part', 'end']);
  });

  test('over maxStreams with an empty input: the retry resends the empty stream', async () => {
    const [a, b] = pair({}, { limits: { maxStreams: 1, retryWait: [10, 10] } });
    const hold = deferred();
    b.handlers.handleStream('hold', async function* (parts) {
      for await (const _ of parts);
      await hold.promise;
      yield utf8('held');
    });
    b.handlers.handleStream('n', async (parts) => {
      let n = 0;
      for await (const _ of parts) n++;
      return utf8(String(n));
    });
    let retried = false;
    b.onActivity((e) => {
      if (e.type === 'reply' && e.dir === 'out' && e.kind === 'retry') retried = true;
    });
    const first = a.stream('hold', strs('h'));
    await waitFor(() => b.inFlight === 1, 'the first stream to be served');
    const second = texts(a.stream('n', [], { retries: 50, timeout: 2000 }));
    await waitFor(() => retried, 'a retry result');
    hold.resolve();
    expect(await texts(first)).toEqual(['held']);
    expect(await second).toEqual(['0']);
  });

  test('a stream call fails with ClosedError when the connection goes', async () => {
    const [a, b] = pair();
    b.handlers.handleStream('forever', async function* () {
      yield utf8('first');
      await new Promise(() => {});
    });
    const call: ResultStream = a.stream('forever', strs('x'));
    const it = call[Symbol.asyncIterator]();
    expect(text((await it.next()).value as Uint8Array)).toBe('first');
    b.destroy();
    await expect(it.next()).rejects.toBeInstanceOf(ClosedError);
  });
});
