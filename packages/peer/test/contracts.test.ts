// Typed errors where a caller or the other side gets something wrong: results that are not JSON,
// names the wire cannot carry, retry results that come too late, options out of range.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { z } from 'zod';
import {
  checkPeerOptions,
  connectedPeers,
  defineNotification,
  defineOperation,
  defineStreamOperation,
  GotalkError,
  Peer,
  RetryExhaustedError,
  utf8,
} from '@gotalk/peer';
import { errorOf, scriptedPeer, str, thrownBy, useFakeClocks, waitFor } from '@gotalk/test-kit';

const quiet = { heartbeatInterval: 0 };

afterEach(() => {
  vi.useRealTimers();
});

describe('a result that is not JSON', () => {
  test('request(), call() and callStream() reject with INVALID_JSON, naming the op', async () => {
    const [client, server] = connectedPeers(quiet, quiet);
    server.handlers.handleBytes('get', () => utf8('{not json'));
    server.handlers.handleStream('list', async function* () {
      yield utf8('"fine"');
      yield utf8('<html>');
    });
    const fromRequest = await errorOf(client.request('get'));
    expect(fromRequest).toBeInstanceOf(GotalkError);
    expect(fromRequest.code).toBe('INVALID_JSON');
    expect(fromRequest.message).toMatch(/^the result of "get" is not JSON: /);
    expect(fromRequest.cause).toBeInstanceOf(SyntaxError);

    const get = defineOperation('get', { input: z.null(), output: z.string() });
    expect((await errorOf(client.call(get, null))).code).toBe('INVALID_JSON');

    const list = defineStreamOperation('list', { input: z.number(), output: z.string() });
    const seen: string[] = [];
    const fromStream = await errorOf(
      (async () => {
        for await (const v of client.callStream(list, [1])) seen.push(v);
      })(),
    );
    expect(fromStream.code).toBe('INVALID_JSON');
    expect(seen).toEqual(['fine']); // the parts before the bad one were delivered
    // The connection is unharmed.
    server.handlers.handle('ok', () => 'yes');
    expect(await client.request('ok')).toBe('yes');
    await client.close();
  });
});

describe('names the wire cannot carry', () => {
  test('stream() with an empty or over-long op name fails with INVALID_NAME, and nothing is sent', async () => {
    const { peer, t } = scriptedPeer();
    t.handshake();
    for (const op of ['', 'x'.repeat(4096), 'é'.repeat(2048)]) {
      expect((await errorOf(peer.stream(op, [utf8('a')]).collect())).code).toBe('INVALID_NAME');
      expect((await errorOf(peer.stream(op, utf8('a')).collect())).code).toBe('INVALID_NAME');
    }
    expect(peer.inFlight).toBe(0);
    // A valid request after them goes out after anything they could have sent.
    void peer.requestBytes('probe', utf8('x')).catch(() => {});
    const probe = await t.nextFrame('r');
    expect(probe.op).toBe('probe');
    expect(t.frames.filter((f) => f.type === 'r' || f.type === 's' || f.type === 'p')).toEqual([probe]);
    peer.destroy();
  });

  test('notifyBytes() throws INVALID_NAME; the typed notify rejects with it', async () => {
    const [a] = connectedPeers(quiet, quiet);
    expect(thrownBy(() => a.notifyBytes('n'.repeat(5000), utf8('x'))).code).toBe('INVALID_NAME');
    const type = defineNotification('', z.number());
    expect((await errorOf(a.notify(type, 1))).code).toBe('INVALID_NAME');
    expect(a.open).toBe(true);
    a.destroy();
  });
});

describe('a retry result after parts of the result', () => {
  test('requestBytes fails with RETRY_EXHAUSTED instead of joining two attempts', async () => {
    useFakeClocks(); // a second attempt would be due 1 ms later: the clock is moved past it
    const { peer, t } = scriptedPeer();
    t.handshake();
    const result = errorOf(peer.requestBytes('op', utf8('x')));
    const r = await t.nextFrame('r');
    t.feedFrames({ type: 'S', id: r.id, payload: utf8('abc') }, { type: 'e', id: r.id, wait: 1, payload: utf8('later') });
    const err = await result;
    expect(err).toBeInstanceOf(RetryExhaustedError);
    expect(err.message).toMatch(/after the result began: later/);
    // No second attempt went out, nor is one waiting to.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.frames.filter((f) => f.type === 'r')).toHaveLength(1);
    peer.destroy();
  });

  test('a retry result before any part still retries', async () => {
    const { peer, t } = scriptedPeer();
    t.handshake();
    const result = peer.requestBytes('op', utf8('x'));
    const first = await t.nextFrame('r');
    t.feedFrames({ type: 'e', id: first.id, wait: 1, payload: utf8('later') });
    const second = await t.nextFrame('r');
    t.feedFrames({ type: 'S', id: second.id, payload: utf8('abc') }, { type: 'S', id: second.id, payload: new Uint8Array(0) });
    expect(str(await result)).toBe('abc');
    peer.destroy();
  });
});

describe('options', () => {
  test('retryWait must be whole milliseconds (a fraction would make an e frame the encoder refuses)', () => {
    expect(() => checkPeerOptions({ limits: { retryWait: [0.5, 2.5] } })).toThrow(RangeError);
    expect(() => new Peer(connectedPeersTransport(), { limits: { retryWait: [1, 2.5] } })).toThrow(/retryWait must be integers/);
    expect(() => checkPeerOptions({ limits: { retryWait: [1, 2] } })).not.toThrow();
  });

  test('checkPeerOptions throws what new Peer would, and accepts the defaults', () => {
    expect(() => checkPeerOptions({})).not.toThrow();
    expect(() => checkPeerOptions({ heartbeatInterval: -1 })).toThrow(/heartbeatInterval must be a number of ms/);
    expect(() => checkPeerOptions({ limits: { maxRequests: 1.5 } })).toThrow(/limits\.maxRequests must be an integer/);
    // Only numbers: values JavaScript would coerce are refused too.
    for (const odd of ['1000', true, []]) expect(() => checkPeerOptions({ requestTimeout: odd as never }), String(odd)).toThrow(RangeError);
  });
});

/** A transport that is never started (the Peer constructor throws before it would be). */
function connectedPeersTransport() {
  return scriptedPeer().t;
}

describe('a request after the connection ended', () => {
  test('fails with CLOSED whose cause says why the connection ended', async () => {
    const { peer, t } = scriptedPeer();
    t.feed('01zz'); // a version, then bytes that are no frame
    await peer.closed;
    const err = await errorOf(peer.request('op'));
    expect(err.code).toBe('CLOSED');
    expect(err.message).toMatch(/^the connection closed: .*unknown frame type byte 0x7a/);
    expect((err.cause as GotalkError).code).toBe('PROTOCOL_ERROR');
    const thrown = thrownBy(() => peer.notify('n', 1));
    expect(thrown.code).toBe('CLOSED');
    expect((thrown.cause as GotalkError).code).toBe('PROTOCOL_ERROR');
  });
});

describe('a retry result after parts of a stream result', () => {
  test.each([
    ['one payload', () => utf8('x')],
    ['parts', () => [utf8('x')]],
  ])('stream() with %s as input fails with RETRY_EXHAUSTED; the parts already delivered stay delivered', async (_label, input) => {
    useFakeClocks(); // a second attempt would be due 1 ms later: the clock is moved past it
    const { peer, t } = scriptedPeer();
    t.handshake();
    const parts: string[] = [];
    const done = errorOf(
      (async () => {
        for await (const p of peer.stream('op', input())) parts.push(str(p));
      })(),
    );
    const req = await t.nextFrame((f) => f.type === 'r' || f.type === 's');
    const id = (req as { id: number }).id;
    t.feedFrames({ type: 'S', id, payload: utf8('abc') }, { type: 'e', id, wait: 1, payload: utf8('later') });
    const err = await done;
    expect(err).toBeInstanceOf(RetryExhaustedError);
    expect(parts).toEqual(['abc']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.frames.filter((f) => f.type === 'r' || f.type === 's')).toHaveLength(1);
    peer.destroy();
  });
});

describe('collect()', () => {
  test('joins at most maxPayload bytes; past that the call fails with PAYLOAD_TOO_LARGE and ends', async () => {
    const [client, server] = connectedPeers({ ...quiet, limits: { maxPayload: 1024 * 1024 } }, quiet);
    server.handlers.handleStream('flood', async function* () {
      for (let i = 0; i < 64; i++) yield new Uint8Array(256 * 1024); // 16 MiB in all
    });
    const err = await errorOf(client.stream('flood').collect());
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
    expect(client.inFlight).toBe(0); // the call ended; the rest of its parts are dropped on arrival
    // Iterating reads any amount; collect() within the limit joins as before.
    let total = 0;
    for await (const part of client.stream('flood')) total += part.length;
    expect(total).toBe(16 * 1024 * 1024);
    server.handlers.handleStream('some', async function* () {
      yield utf8('ab');
      yield utf8('cd');
    });
    expect(str(await client.stream('some').collect())).toBe('abcd');
    await client.close();
  });
});

describe('a stream source', () => {
  test('is let go of (return() called) when the call settles while it waits for its next part', async () => {
    const [client, server] = connectedPeers(quiet, quiet);
    server.handlers.handleStream('first', async function* (parts) {
      for await (const part of parts) return yield part; // answers with the first part, then ends
    });
    let returned = 0;
    let pulls = 0;
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => (++pulls === 1 ? Promise.resolve({ value: utf8('one'), done: false }) : new Promise<IteratorResult<Uint8Array>>(() => {})),
        return: () => {
          returned++;
          return Promise.resolve({ value: undefined, done: true });
        },
      }),
    };
    expect(str(await client.stream('first', source).collect())).toBe('one');
    expect(returned).toBe(1); // at once, though its second next() never settles
    // Aborted while waiting: the same.
    const controller = new AbortController();
    const aborted = errorOf(client.stream('first', source, { signal: controller.signal }).collect());
    await waitFor(() => pulls === 3, 'the call to wait on its source'); // its first pull, which never settles
    controller.abort();
    expect((await aborted).code).toBe('ABORTED');
    expect(returned).toBe(2);
    await client.close();
  });
});

describe('the other side finishes sending (half-close)', () => {
  test('requests it sent are still answered, then the connection closes; what waits on it fails at once', async () => {
    const { peer, t } = scriptedPeer();
    let finishSlow = (): void => {};
    peer.handlers.handleBytes('slow', () => new Promise<Uint8Array>((resolve) => (finishSlow = () => resolve(utf8('late')))));
    t.handshake();
    const mine = errorOf(peer.request('theirs'));
    await t.nextFrame('r');
    t.feed('r0001004slow00000000');
    t.halfClose();
    const err = await mine; // no reply can come any more
    expect(err.code).toBe('CLOSED');
    expect(err.message).toBe('the other side ended the connection');
    expect(peer.open).toBe(false); // closing: nothing new is started
    finishSlow();
    const reply = await t.nextFrame('R');
    expect(str(reply.payload)).toBe('late');
    expect((await peer.closed).reason).toBe('remote');
    expect(t.calls).toContain('close');
  });
});
