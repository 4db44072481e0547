import { describe, expect, it } from 'vitest';
import {
  CodecError,
  DEFAULT_MAX_PAYLOAD,
  encodeFrame,
  FrameDecoder,
  MAX_HEADER_BYTES,
  MAX_NAME_BYTES,
  MAX_WIRE_PAYLOAD,
  type DecodedFrame,
  type PayloadFrame,
} from '@gotalk/protocol';
import { bytes, canonical, idOf, utf8 } from './vectors.ts';

const EMPTY = new Uint8Array(0);
const NEXT = bytes('R000200000003abc');
const NEXT_FRAME: DecodedFrame = { type: 'R', id: idOf('0002'), payload: utf8('abc') };

/** Pushes the chunks in order and returns every frame delivered. */
function feed(decoder: FrameDecoder, chunks: Iterable<Uint8Array>): DecodedFrame[] {
  const out: DecodedFrame[] = [];
  for (const chunk of chunks) decoder.push(chunk, (f) => out.push(f));
  return out;
}

/** `wire` in chunks of `size` bytes (the last one shorter). */
function chunksOf(wire: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < wire.length; at += size) out.push(wire.subarray(at, at + size));
  return out;
}

/** A frame of each payload type, with `payload`. */
function payloadFrames(payload: Uint8Array): PayloadFrame[] {
  const id = idOf('0001');
  return [
    { type: 'r', id, op: 'echo', payload },
    { type: 's', id, op: 'sjoin', payload },
    { type: 'p', id, payload },
    { type: 'R', id, payload },
    { type: 'S', id, payload },
    { type: 'E', id, payload },
    { type: 'e', id, wait: 585, payload },
    { type: 'n', name: '日本語', payload },
  ];
}

const ELEVEN = utf8('hello world');

describe('oversize frames', () => {
  for (const frame of payloadFrames(ELEVEN)) {
    const wire = bytes(encodeFrame(frame), NEXT);
    const expected: DecodedFrame[] = [{ type: 'oversize', frame: { ...frame, payload: EMPTY }, size: 11 }, NEXT_FRAME];

    it(`${frame.type} over maxPayload: reported as oversize with its header and size, payload skipped, next frame decodes`, () => {
      const out = feed(new FrameDecoder({ maxPayload: 10 }), [wire]);
      expect(canonical(out)).toEqual(canonical(expected));
    });

    it(`${frame.type} over maxPayload: the same when fed one byte at a time`, () => {
      const decoder = new FrameDecoder({ maxPayload: 10 });
      const out = feed(decoder, chunksOf(wire, 1));
      expect(canonical(out)).toEqual(canonical(expected));
      expect(decoder.idle).toBe(true);
      expect(decoder.offset).toBe(wire.length);
    });
  }

  it('is reported as soon as its header is complete, before any payload byte arrives', () => {
    const decoder = new FrameDecoder({ maxPayload: 10 });
    const out = feed(decoder, [bytes('r0001004echo0000000b')]);
    expect(canonical(out)).toEqual(canonical([{ type: 'oversize', frame: { type: 'r', id: idOf('0001'), op: 'echo', payload: EMPTY }, size: 11 }]));
    expect(decoder.idle).toBe(false);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('a skipped payload split over many chunks buffers nothing, and the frame after it decodes even when it starts in the last skip chunk', () => {
    const decoder = new FrameDecoder({ maxPayload: 1000 });
    const skipped = 100_000;
    const out = feed(decoder, [bytes('S0001', skipped.toString(16).padStart(8, '0'))]);
    expect(out.map((f) => f.type)).toEqual(['oversize']);
    // 99 000 skip bytes in 101 chunks, some of odd sizes; then the last 1000 with the start of the next frame.
    const chunk = new Uint8Array(1000).fill(0x72); // 'r': would be a header if it were not skipped
    const sizes = [1, 999, 7, 993, ...Array.from({ length: 97 }, () => 1000)];
    let fed = 0;
    for (const size of sizes) {
      decoder.push(chunk.subarray(0, size), (f) => out.push(f));
      fed += size;
      expect(decoder.bufferedBytes).toBe(0);
      expect(decoder.idle).toBe(false);
    }
    expect(fed).toBe(skipped - 1000);
    decoder.push(bytes(chunk, NEXT.subarray(0, 6)), (f) => out.push(f));
    decoder.push(NEXT.subarray(6), (f) => out.push(f));
    expect(canonical(out.slice(1))).toEqual(canonical([NEXT_FRAME]));
    expect(decoder.idle).toBe(true);
  });

  it('a header declaring 0xffffffff bytes under the default maxPayload: oversize, and 10 MB of its payload in 64 KiB chunks buffers and allocates nothing', () => {
    const decoder = new FrameDecoder();
    const out = feed(decoder, [bytes('E\xff\xff\xff\xffffffffff')]);
    expect(canonical(out)).toEqual(canonical([{ type: 'oversize', frame: { type: 'E', id: 0xffffffff, payload: EMPTY }, size: MAX_WIRE_PAYLOAD }]));
    const chunk = new Uint8Array(64 * 1024).fill(0x45);
    const before = process.memoryUsage().arrayBuffers;
    let maxBuffered = 0;
    for (let fed = 0; fed < 10_000_000; fed += chunk.length) {
      decoder.push(chunk, (f) => out.push(f));
      maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(maxBuffered).toBe(0);
    expect(out).toHaveLength(1);
    expect(decoder.idle).toBe(false);
    // A decoder that gathered the payload would hold 10 MB here (or fail to allocate 4 GiB).
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });

  it('with maxPayload 0, empty payloads decode and a 1-byte payload is oversize', () => {
    const out = feed(new FrameDecoder({ maxPayload: 0 }), [bytes('R000100000000', 'n001a00000001!', NEXT.subarray(0, 13))]);
    expect(canonical(out)).toEqual(
      canonical([
        { type: 'R', id: idOf('0001'), payload: EMPTY },
        { type: 'oversize', frame: { type: 'n', name: 'a', payload: EMPTY }, size: 1 },
        { type: 'oversize', frame: { type: 'R', id: idOf('0002'), payload: EMPTY }, size: 3 },
      ]),
    );
  });
});

describe('maxPayload', () => {
  for (const max of [1, 10, 4096, DEFAULT_MAX_PAYLOAD]) {
    it(`a payload of exactly maxPayload ${max} is accepted, one byte more is oversize`, () => {
      const payload = new Uint8Array(max + 1).fill(0x2a);
      const fits = encodeFrame({ type: 'R', id: 1, payload: payload.subarray(0, max) });
      const over = encodeFrame({ type: 'R', id: 2, payload });
      const out = feed(new FrameDecoder({ maxPayload: max }), [fits, over]);
      expect(out).toHaveLength(2);
      const [first, second] = out;
      expect(first?.type === 'R' && first.id === 1 && first.payload.length === max).toBe(true);
      expect(second).toEqual({ type: 'oversize', frame: { type: 'R', id: 2, payload: EMPTY }, size: max + 1 });
    });
  }

  it('defaults to DEFAULT_MAX_PAYLOAD (8 MiB)', () => {
    expect(new FrameDecoder().maxPayload).toBe(DEFAULT_MAX_PAYLOAD);
    expect(DEFAULT_MAX_PAYLOAD).toBe(8 * 1024 * 1024);
  });

  it('rejects a maxPayload that is negative, fractional, NaN or over the wire maximum with INVALID_FIELD', () => {
    for (const maxPayload of [-1, 1.5, Number.NaN, MAX_WIRE_PAYLOAD + 1]) {
      let err: unknown;
      try {
        new FrameDecoder({ maxPayload });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('INVALID_FIELD');
    }
  });
});

describe('bufferedBytes', () => {
  it('MAX_HEADER_BYTES is the longest header: r, id, 3-digit length, 4095 name bytes, size', () => {
    expect(MAX_HEADER_BYTES).toBe(1 + 4 + 3 + MAX_NAME_BYTES + 8);
    expect(encodeFrame({ type: 'r', id: 0, op: 'x'.repeat(MAX_NAME_BYTES), payload: EMPTY }).length).toBe(MAX_HEADER_BYTES);
  });

  it('never exceeds MAX_HEADER_BYTES + maxPayload when the longest header and a maxPayload payload trickle in byte by byte', () => {
    const maxPayload = 3000;
    const wire = bytes(
      encodeFrame({ type: 's', id: 0xffffffff, op: 'y'.repeat(MAX_NAME_BYTES), payload: new Uint8Array(maxPayload).fill(1) }),
      encodeFrame({ type: 'n', name: '€'.repeat(1365), payload: new Uint8Array(maxPayload).fill(2) }),
    );
    const decoder = new FrameDecoder({ maxPayload });
    let max = 0;
    let frames = 0;
    for (let i = 0; i < wire.length; i++) {
      decoder.push(wire.subarray(i, i + 1), () => frames++);
      max = Math.max(max, decoder.bufferedBytes);
    }
    expect(frames).toBe(2);
    expect(max).toBeLessThanOrEqual(MAX_HEADER_BYTES + maxPayload);
    // It does measure what is held: the longest header, one byte short of complete.
    expect(max).toBe(MAX_HEADER_BYTES - 1);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('counts the whole buffer of a payload gathered across chunks (it is allocated at its full size) until it is complete', () => {
    const decoder = new FrameDecoder({ maxPayload: 100 });
    const wire = encodeFrame({ type: 'R', id: 1, payload: new Uint8Array(100).fill(7) });
    const out = feed(decoder, [wire.subarray(0, 20)]);
    expect(decoder.bufferedBytes).toBe(100);
    feed(decoder, [wire.subarray(20, 112)]);
    expect(decoder.bufferedBytes).toBe(100);
    decoder.push(wire.subarray(112), (f) => out.push(f));
    expect(decoder.bufferedBytes).toBe(0);
    expect(out).toHaveLength(1);
  });
});

describe('zero-copy payloads', () => {
  it('a payload wholly inside one pushed chunk, with its header, is a view on that chunk', () => {
    const chunk = bytes('R000100000003abc', 'R000200000002de');
    const out = feed(new FrameDecoder(), [chunk]);
    const payloads = out.map((f) => (f.type === 'R' ? f.payload : EMPTY));
    expect(payloads.map((p) => [p.buffer === chunk.buffer, p.byteOffset, p.length])).toEqual([
      [true, 13, 3],
      [true, 29, 2],
    ]);
  });

  it('a payload wholly inside the chunk after its header is a view on that chunk', () => {
    const header = bytes('S000100000003');
    const body = bytes('xyzS000200000000').subarray(0, 3);
    const out = feed(new FrameDecoder(), [header, body]);
    const [first] = out;
    expect(first?.type).toBe('S');
    const payload = first?.type === 'S' ? first.payload : EMPTY;
    expect(payload.buffer).toBe(body.buffer);
    expect(payload.byteOffset).toBe(body.byteOffset);
    expect(canonical(out)).toEqual(canonical([{ type: 'S', id: idOf('0001'), payload: utf8('xyz') }]));
  });

  it('a payload split over chunks is a copy, independent of the chunks', () => {
    const a = bytes('E000100000006abc');
    const b = bytes('def');
    const out = feed(new FrameDecoder(), [a, b]);
    const [first] = out;
    const payload = first?.type === 'E' ? first.payload : EMPTY;
    expect(payload.buffer).not.toBe(a.buffer);
    expect(payload.buffer).not.toBe(b.buffer);
    a.fill(0);
    b.fill(0);
    expect(canonical(out)).toEqual(canonical([{ type: 'E', id: idOf('0001'), payload: utf8('abcdef') }]));
  });
});
