// A peer facing a scripted other side that speaks raw bytes: broken input, quirks of the Go
// reference, limits, and a byte-exact replay of the reference's observed exchanges.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { encodeFrame } from '@gotalk/protocol';
import {
  ClosedError,
  GotalkError,
  PayloadTooLargeError,
  ProtocolError,
  RemoteError,
  TimeoutError,
  text,
  utf8,
  type ActivityEvent,
  type Peer,
  type PeerOptions,
} from '@gotalk/peer';
import { bin, latin1, scriptedPeer, useFakeClocks, type ScriptedTransport } from '@gotalk/test-kit';

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
  vi.useRealTimers();
});

function setup(options: PeerOptions = {}): { peer: Peer; t: ScriptedTransport } {
  const s = scriptedPeer(options);
  peers.push(s.peer);
  return s;
}

/** A peer with the handlers the reference examples use. */
function reference(options: PeerOptions = {}): { peer: Peer; t: ScriptedTransport } {
  const s = setup(options);
  s.peer.handlers.handle('echo', (v) => v);
  s.peer.handlers.handleStream('sjoin', async function* (parts) {
    for await (const p of parts) yield utf8(text(p).toUpperCase());
  });
  return s;
}

function never<T>(): Promise<T> {
  return new Promise(() => {});
}

/** Collects activity events of a peer. */
function record(peer: Peer): ActivityEvent[] {
  const events: ActivityEvent[] = [];
  peer.onActivity((e) => events.push(e));
  return events;
}

describe('broken input', () => {
  test('garbage after the handshake: f00000002, close, reason protocol', async () => {
    const { peer, t } = setup();
    t.feed('01x000100000000');
    const info = await peer.closed;
    expect(info.reason).toBe('protocol');
    expect(info.error).toBeInstanceOf(ProtocolError);
    expect(info.error).toMatchObject({ code: 'PROTOCOL_ERROR', protocolCode: 2, remote: false });
    await t.ends();
    expect(t.outputText).toBe('01f00000002');
    expect(t.calls).toContain('close');
    expect(t.calls).not.toContain('destroy');
    expect(peer.open).toBe(false);
  });

  test('frames before the garbage are answered first; nothing after it is read', async () => {
    const { peer, t } = reference();
    t.feed('01r0001004echo00000002{}hXXXX5f63ee48r0002004echo00000002{}');
    const info = await peer.closed;
    expect(info.error).toMatchObject({ protocolCode: 2 });
    await t.ends();
    expect(t.outputText).toBe('01R000100000002{}f00000002');
  });

  test('garbage split over many chunks is still found', async () => {
    const { peer, t } = reference();
    t.feed('01r0001004echo00000002{}r0002004echo0000000+{}', { chunkSize: 3 });
    await peer.closed;
    await t.ends();
    expect(t.outputText).toBe('01R000100000002{}f00000002');
  });

  test('wrong version 09: f00000001 and close', async () => {
    const { peer, t } = setup();
    t.feed('09');
    const info = await peer.closed;
    expect(info.reason).toBe('protocol');
    expect(info.error).toMatchObject({ code: 'PROTOCOL_ERROR', protocolCode: 1, remote: false });
    await expect(peer.ready).rejects.toBeInstanceOf(ClosedError);
    await t.ends();
    expect(t.outputText).toBe('01f00000001');
  });

  test('a version that is not hex closes with an f frame', async () => {
    const { peer, t } = setup();
    t.feed('xx');
    const info = await peer.closed;
    expect(info.reason).toBe('protocol');
    await t.ends();
    expect(t.outputText).toMatch(/^01f0000000[12]$/);
  });

  test('a handshake that never completes: f00000003 after handshakeTimeout', async () => {
    const { peer, t } = setup({ handshakeTimeout: 60 });
    const started = Date.now();
    t.feed('0'); // half a version
    const info = await peer.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(info.reason).toBe('handshake');
    expect(info.error).toBeInstanceOf(TimeoutError);
    expect(info.error?.code).toBe('TIMEOUT');
    await expect(peer.ready).rejects.toBeInstanceOf(ClosedError);
    await t.ends();
    expect(t.outputText).toBe('01f00000003');
  });

  test('a completed handshake cancels the handshake timeout', async () => {
    useFakeClocks(); // the timeout that must not fire is moved past, not slept through
    const { peer, t } = reference({ handshakeTimeout: 40 });
    t.handshake();
    await peer.ready;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(peer.open).toBe(true);
    expect(t.calls).not.toContain('close');
    t.feed('r0001004echo00000001' + '7');
    await t.nextFrame('R');
    expect(t.outputText).toBe('01R0001000000017');
  });

  test('receiving f00000003: closed with protocolCode 3 from the remote, pending requests fail with ClosedError', async () => {
    const { peer, t } = setup();
    const pending = peer.request('echo', 1);
    const stream = peer.stream('sjoin', [utf8('a')]);
    t.handshake();
    await t.nextFrame('r');
    await t.nextFrame('s');
    t.feed('f00000003');
    await expect(pending).rejects.toBeInstanceOf(ClosedError);
    await expect(stream.collect()).rejects.toBeInstanceOf(ClosedError);
    const info = await peer.closed;
    expect(info.reason).toBe('protocol');
    expect(info.error).toBeInstanceOf(ProtocolError);
    expect(info.error).toMatchObject({ protocolCode: 3, remote: true });
    await t.ends();
    expect(t.frames.filter((f) => f.type === 'f')).toEqual([]); // no f sent back
    await expect(peer.request('echo', 2)).rejects.toBeInstanceOf(ClosedError);
  });

  test('the far end hanging up fails pending requests and says remote', async () => {
    const { peer, t } = setup();
    const pending = peer.request('echo', 1);
    t.handshake();
    await t.nextFrame('r');
    t.hangUp();
    await expect(pending).rejects.toBeInstanceOf(ClosedError);
    expect((await peer.closed).reason).toBe('remote');
  });
});

describe('the handshakeError option', () => {
  type Hook = NonNullable<PeerOptions['handshakeError']>;
  const mapped: Hook = (closed) => new GotalkError('MAPPED', `mapped: ${closed.message}`, { cause: closed });

  test('before the handshake, ready and every pending request reject with what it makes of the CLOSED error', async () => {
    const hook = vi.fn<Hook>(mapped);
    const { peer, t } = setup({ handshakeError: hook });
    const early = [peer.request('echo', 1), peer.stream('sjoin', [utf8('a')]).collect()];
    t.feed('09');
    const err = await peer.ready.then(
      () => null,
      (e: unknown) => e as GotalkError,
    );
    expect(err?.code).toBe('MAPPED');
    for (const p of early) await expect(p).rejects.toBe(err);
    expect(hook).toHaveBeenCalledOnce();
    const [closed, reason] = hook.mock.calls[0]!;
    expect(closed).toBeInstanceOf(ClosedError);
    expect(closed.cause).toBeInstanceOf(ProtocolError);
    expect(reason).toBe('protocol');
    // The close info still says why the connection ended.
    const info = await peer.closed;
    expect(info.reason).toBe('protocol');
    expect(info.error).toBeInstanceOf(ProtocolError);
    // Later requests fail as on any closed peer.
    await expect(peer.request('echo', 2)).rejects.toBeInstanceOf(ClosedError);
  });

  test('after the handshake it is not used: what is pending when the connection ends fails with CLOSED', async () => {
    const hook = vi.fn<Hook>(mapped);
    const { peer, t } = reference({ handshakeError: hook });
    t.handshake();
    await peer.ready;
    const pending = peer.request('echo', 1);
    await t.nextFrame('r');
    t.hangUp();
    await expect(pending).rejects.toBeInstanceOf(ClosedError);
    expect(hook).not.toHaveBeenCalled();
  });

  test('one that throws: CLOSED instead, and the connection still ends', async () => {
    const { peer, t } = setup({
      handshakeError: () => {
        throw new Error('a faulty hook');
      },
    });
    const early = peer.request('echo', 1);
    t.hangUp();
    await expect(early).rejects.toBeInstanceOf(ClosedError);
    await expect(peer.ready).rejects.toBeInstanceOf(ClosedError);
    expect((await peer.closed).reason).toBe('remote');
  });
});

describe('frames to ignore', () => {
  test('p for unknown stream ids is ignored and reported as activity', async () => {
    const { peer, t } = reference();
    const events = record(peer);
    t.feed('01p999900000003abcp\x00\x00\x00\x0700000000');
    t.feed('r0001004echo00000002{}');
    await t.nextFrame('R');
    expect(peer.open).toBe(true);
    expect(t.outputText).toBe('01R000100000002{}');
    expect(events.filter((e) => e.type === 'error')).toHaveLength(2);
  });

  test('S after E for the same id is ignored (the Go quirk)', async () => {
    const { peer, t } = setup();
    t.handshake();
    const first = peer.request('op', 1);
    const r1 = await t.nextFrame('r');
    const s = peer.stream('op', [utf8('x')]);
    const s1 = await t.nextFrame('s');
    t.feedFrames(
      { type: 'E', id: r1.id, payload: utf8('no') },
      { type: 'S', id: r1.id, payload: new Uint8Array(0) },
      { type: 'E', id: s1.id, payload: utf8('nope') },
      { type: 'S', id: s1.id, payload: utf8('late') },
      { type: 'S', id: s1.id, payload: new Uint8Array(0) },
    );
    await expect(first).rejects.toThrow(new RemoteError('no'));
    await expect(s.collect()).rejects.toThrow(new RemoteError('nope'));
    const second = peer.request('op', 2);
    const r2 = await t.nextFrame('r');
    expect(r2.id).not.toBe(r1.id);
    t.feedFrames({ type: 'R', id: r2.id, payload: utf8('"ok"') });
    expect(await second).toBe('ok');
    expect(peer.open).toBe(true);
  });

  test('replies for unknown ids are ignored', async () => {
    const { peer, t } = reference();
    t.feed('01R999900000002{}S999900000001xS999900000000E999900000001xe99990000000000000001x');
    const mine = peer.request('echo', 5);
    const r = await t.nextFrame('r');
    t.feed(latin1(encodeFrame({ type: 'R', id: r.id, payload: utf8('5') })));
    expect(await mine).toBe(5);
    t.feed('r0001004echo00000001' + '1');
    await t.nextFrame('R', (f) => text(f.payload) === '1');
    expect(peer.open).toBe(true);
  });

  test('an s reusing the id of an open inbound stream is refused; the original stream goes on', async () => {
    const { t } = reference();
    t.feed('01s0001005sjoin00000003abc');
    await t.nextFrame('S', (f) => text(f.payload) === 'ABC');
    t.feed('s0001005sjoin00000003xyz');
    const refused = await t.nextFrame('E');
    expect(text(refused.payload)).toBe('request id already in use');
    t.feed('p000100000002dep000100000000');
    const parts: string[] = [];
    for (;;) {
      const f = await t.nextFrame('S');
      if (f.payload.length === 0) break;
      parts.push(text(f.payload));
    }
    expect(parts).toEqual(['DE']);
    expect(t.outputText).toContain('E000100000019request id already in use');
    expect(t.outputText).not.toContain('XYZ');
    // the id is free again once the stream ended
    t.feed('s0001005sjoin00000001qp000100000000');
    await t.nextFrame('S', (f) => text(f.payload) === 'Q');
  });
});

describe('limits', () => {
  test('an oversize r gets E, its payload is skipped, the next request is answered', async () => {
    for (const chunkSize of [undefined, 5]) {
      const { t } = reference({ limits: { maxPayload: 16 } });
      const opts = chunkSize === undefined ? {} : { chunkSize };
      t.feed('01r0001004echo00000020' + '"'.padEnd(31, 'x') + '"' + 'r0002004echo00000003"y"', opts);
      await t.nextFrame('R');
      expect(t.outputText).toBe('01E000100000031payload of 32 bytes exceeds the limit of 16 bytes' + 'R000200000003"y"');
    }
  });

  test('an oversize s gets E and its later parts are ignored', async () => {
    const { peer, t } = reference({ limits: { maxPayload: 8 } });
    t.feed('01s0001005sjoin00000010' + 'x'.repeat(16) + 'p000100000002dep000100000000');
    const e = await t.nextFrame('E');
    expect(text(e.payload)).toBe('payload of 16 bytes exceeds the limit of 8 bytes');
    t.feed('s0002005sjoin00000002abp000200000000');
    await t.nextFrame('S', (f) => f.id === 0x30303032 && f.payload.length === 0);
    expect(t.frames.filter((f) => f.type === 'S' && f.id === 0x30303031)).toEqual([]);
    expect(peer.open).toBe(true);
  });

  test('an oversize result to one of our requests rejects it with PAYLOAD_TOO_LARGE; the others are fine', async () => {
    const { peer, t } = setup({ limits: { maxPayload: 16 } });
    t.handshake();
    const big = peer.requestBytes('get', utf8('big'));
    const small = peer.requestBytes('get', utf8('small'));
    const r1 = await t.nextFrame('r');
    const r2 = await t.nextFrame('r');
    const huge = encodeFrame({ type: 'R', id: r1.id, payload: new Uint8Array(40).fill(0x61) });
    const ok = encodeFrame({ type: 'R', id: r2.id, payload: utf8('fine') });
    t.feed(latin1(huge) + latin1(ok), { chunkSize: 7 });
    const err = await big.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', size: 40, limit: 16 });
    expect(text(await small)).toBe('fine');
    expect(peer.open).toBe(true);
  });

  test('a stream result over the payload limit, joined for a single request, rejects it', async () => {
    const { peer, t } = setup({ limits: { maxPayload: 10 } });
    t.handshake();
    const req = peer.requestBytes('get', utf8('x'));
    const r = await t.nextFrame('r');
    t.feedFrames({ type: 'S', id: r.id, payload: utf8('123456') }, { type: 'S', id: r.id, payload: utf8('789012') });
    await expect(req).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('input forms', () => {
  test('uppercase hex is accepted; the reply is lowercase', async () => {
    const { peer, t } = reference();
    t.feed('01rABCD004echo0000000A"abcdefgh"h00FF5F63EE48');
    await t.nextFrame('R');
    expect(t.outputText).toBe('01RABCD0000000a"abcdefgh"');
    expect(peer.remoteHeartbeat).toMatchObject({ load: 0xff, time: 0x5f63ee48 });
  });

  test('Go-style binary ids are echoed verbatim', async () => {
    const { t } = reference();
    t.feed('01r\x00\x00\x00\x00004echo00000002{}');
    t.feed(bin('r\xff\x80\x00\x01004echo00000001' + '3'));
    t.feed('s\x00\x00\x00\x02005sjoin00000002abp\x00\x00\x00\x0200000000');
    await t.nextFrame('S', (f) => f.payload.length === 0);
    expect(t.outputText).toBe('01R\x00\x00\x00\x0000000002{}' + 'R\xff\x80\x00\x01000000013' + 'S\x00\x00\x00\x0200000002AB' + 'S\x00\x00\x00\x0200000000');
  });

  test('a UTF-8 op name and payload are counted in bytes', async () => {
    const { peer, t } = setup();
    peer.handlers.handleBytes('grüß', (p) => p);
    t.feed('01r0001006grüß00000007"été"');
    await t.nextFrame('R');
    expect(t.output.subarray(2)).toEqual(utf8('R000100000007"été"'));
  });

  test('our own requests use Go-style binary ids', async () => {
    const { peer, t } = setup();
    peer.request('echo', 'hi').catch(() => {});
    t.handshake();
    await t.nextFrame('r');
    expect(t.outputText).toBe('01r\x00\x00\x00\x00004echo00000004"hi"');
  });
});

describe('replay of the observed exchanges of the reference', () => {
  test('echo', async () => {
    const { t } = reference();
    t.feed('01r0001004echo00000019{"message":"Hello World"}');
    await t.nextFrame('R');
    expect(t.outputText).toBe('01R000100000019{"message":"Hello World"}');
  });

  test('unknown operation', async () => {
    const { t } = reference();
    t.feed('01r0001004nope00000002{}');
    await t.nextFrame('E');
    expect(t.outputText).toBe('01E000100000018unknown operation "nope"');
  });

  test('upper-casing stream handler', async () => {
    const { t } = reference();
    t.feed('01s0001005sjoin00000003abc');
    await t.nextFrame('S');
    t.feed('p000100000002de');
    await t.nextFrame('S');
    t.feed('p000100000000');
    await t.nextFrame('S');
    expect(t.outputText).toBe('01S000100000003ABCS000100000002DES000100000000');
  });

  test('the same stream fed at once', async () => {
    const { t } = reference();
    t.feed('01s0001005sjoin00000003abcp000100000002dep000100000000');
    await t.nextFrame('S', (f) => f.payload.length === 0);
    expect(t.outputText).toBe('01S000100000003ABCS000100000002DES000100000000');
  });

  test('streams disabled on the responder', async () => {
    const { t } = reference({ limits: { maxStreams: 0 } });
    t.feed('01s0001005sjoin00000003abc');
    await t.nextFrame('E');
    t.feed('p000100000000'); // the rest of the refused stream is ignored
    // A request after it is answered after anything the part could have caused.
    t.feed('r0002004echo000000017');
    await t.nextFrame('R');
    expect(t.outputText).toBe('01E00010000001dstream requests not supported' + 'R0002000000017');
  });

  test('request limit reached', async () => {
    const { peer, t } = reference({ limits: { maxRequests: 1, retryWait: [585, 585] } });
    peer.handlers.handleBytes('wait', () => never());
    t.feed('01r0001004wait00000000r0002004echo00000002{}');
    await t.nextFrame('e');
    expect(t.outputText).toBe('01e00020000024900000012request rate limit');
  });

  test('idle longer than the idle timeout (after a heartbeat)', async () => {
    const { peer, t } = reference({ idleTimeout: 50 });
    t.feed('01h00025f63ee48');
    const info = await peer.closed;
    expect(info.reason).toBe('idle');
    await t.ends();
    expect(t.outputText).toBe('01f00000003');
  });

  test('unknown type byte', async () => {
    const { t } = reference();
    t.feed('01x000100000000');
    await t.ends();
    expect(t.outputText).toBe('01f00000002');
  });

  test('header vectors are all accepted', async () => {
    const { peer, t } = reference();
    const notes: string[] = [];
    peer.handlers.onNotificationBytes('hello', (p) => void notes.push(text(p)));
    peer.handlers.onNotificationBytes('a', (p) => void notes.push(`a:${text(p)}`));
    t.feed('01n005hello00000003abcn001a00000000h00025f63ee48');
    t.feed('Ridid00000003abcSidid00000003abcEidid00000003abceidid0000000600000003abc'); // unknown ids
    t.feed('ridid004echo00000000');
    await t.nextFrame('R');
    expect(notes).toEqual(['abc', 'a:']);
    expect(peer.remoteHeartbeat).toMatchObject({ load: 2, time: 0x5f63ee48 });
    expect(new Date(peer.remoteHeartbeat!.time * 1000).toISOString()).toBe('2020-09-17T23:16:24.000Z');
    expect(t.outputText).toBe('01Ridid00000004null');
  });
});
