import { describe, expect, it } from 'vitest';
import {
  CodecError,
  decodeAll,
  encodeFrame,
  encodeFrames,
  encodeVersion,
  FrameDecoder,
  frameSize,
  type CodecErrorCode,
  type DecodedFrame,
  type Frame,
} from '@gotalk/protocol';
import { bytes, canonical, firstDifference, invalidVectors, utf8, validVectors, wireText, type InvalidVector } from './vectors.ts';

/** The vector's frames without the leading version, as encoder input. */
function framesOf(frames: readonly DecodedFrame[]): Frame[] {
  return frames.map((f) => {
    if (f.type === 'version' || f.type === 'oversize' || f.type === 'refused') throw new Error(`not an encodable frame: ${f.type}`);
    return f;
  });
}

/** Splits a vector's frames into the version (if any) and the rest. */
function parts(frames: readonly DecodedFrame[]): { version: number | undefined; rest: Frame[] } {
  const first = frames[0];
  if (first?.type === 'version') return { version: first.version, rest: framesOf(frames.slice(1)) };
  return { version: undefined, rest: framesOf(frames) };
}

/** Catches what `fn` throws; fails the test when it returns. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw, but it returned');
}

/** `actual` equals `expected` byte for byte; a mismatch shows the bytes around the first difference. */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  const at = firstDifference(actual, expected);
  if (at !== -1) {
    const from = Math.max(0, at - 32);
    const window = (u8: Uint8Array): string => wireText(u8.subarray(from, at + 64));
    expect({ length: actual.length, from, bytes: window(actual) }).toEqual({ length: expected.length, from, bytes: window(expected) });
  }
  expect(at).toBe(-1);
}

function expectCodecError(err: unknown, code: CodecErrorCode, offset: number): void {
  expect(err).toBeInstanceOf(CodecError);
  expect({ code: (err as CodecError).code, offset: (err as CodecError).offset }).toEqual({ code, offset });
}

describe('valid vectors', () => {
  for (const v of validVectors) {
    it(`${v.name}: decodes to its frames`, () => {
      const out = decodeAll(v.wire, { expectVersion: v.version === true });
      expect(canonical(out)).toEqual(canonical(v.frames));
    });

    if (v.decodeOnly) continue;

    it(`${v.name}: encodeFrame, encodeFrames and encodeVersion give exactly its bytes`, () => {
      const { version, rest } = parts(v.frames);
      const head = version === undefined ? [] : [encodeVersion(version)];
      const one = bytes(...head, ...rest.map((f) => encodeFrame(f)));
      const batch = bytes(...head, encodeFrames(rest));
      expectBytes(one, v.wire);
      expectBytes(batch, v.wire);
      const size = rest.reduce((n, f) => n + frameSize(f), head.length * 2);
      expect(size).toBe(v.wire.length);
    });
  }

  it('the table covers every frame type and the version handshake', () => {
    const types = new Set(validVectors.flatMap((v) => v.frames.map((f) => f.type)));
    expect([...types].sort()).toEqual(['E', 'R', 'S', 'e', 'f', 'h', 'n', 'p', 'r', 's', 'version'].sort());
  });

  it('encodeVersion() writes 01, the only version', () => {
    expect(wireText(encodeVersion())).toBe('01');
    expect(wireText(encodeVersion(0xab))).toBe('ab');
  });
});

/** Decodes `v.wire` in one push, returning the delivered frames and the error. */
function decodeInvalid(v: InvalidVector): { decoder: FrameDecoder; delivered: DecodedFrame[]; error: unknown } {
  const decoder = new FrameDecoder({
    expectVersion: v.expectVersion === true,
    ...(v.maxPayload === undefined ? {} : { maxPayload: v.maxPayload }),
  });
  const delivered: DecodedFrame[] = [];
  const error = thrown(() => decoder.push(v.wire, (f) => delivered.push(f)));
  return { decoder, delivered, error };
}

describe('invalid vectors', () => {
  for (const v of invalidVectors) {
    it(`${v.name}: throws CodecError ${v.code} at offset ${v.offset}`, () => {
      const { delivered, error } = decodeInvalid(v);
      expectCodecError(error, v.code, v.offset);
      expect(canonical(delivered)).toEqual(canonical(v.delivered ?? []));
    });

    it(`${v.name}: the failed decoder rethrows the same error on every later push`, () => {
      const { decoder, error } = decodeInvalid(v);
      const frames: DecodedFrame[] = [];
      expect(thrown(() => decoder.push(bytes('f00000002'), (f) => frames.push(f)))).toBe(error);
      expect(thrown(() => decoder.push(new Uint8Array(0), (f) => frames.push(f)))).toBe(error);
      expect(frames).toEqual([]);
    });

    it(`${v.name}: decodeAll throws the same code and offset`, () => {
      const err = thrown(() =>
        decodeAll(v.wire, {
          expectVersion: v.expectVersion === true,
          ...(v.maxPayload === undefined ? {} : { maxPayload: v.maxPayload }),
        }),
      );
      expectCodecError(err, v.code, v.offset);
    });
  }
});

describe('decodeAll on input that ends inside a frame', () => {
  for (const v of validVectors) {
    if (v.large) continue;
    it(`${v.name}: every prefix decodes its whole frames, and a cut inside a frame is INVALID_MESSAGE at the cut`, () => {
      const { version, rest } = parts(v.frames);
      // Frame boundaries, from the encoded sizes (uppercase hex has the same width as lowercase).
      const ends: number[] = [];
      let at = version === undefined ? 0 : 2;
      if (version !== undefined) ends.push(2);
      for (const f of rest) ends.push((at += frameSize(f)));
      expect(at).toBe(v.wire.length);

      // Compared with the whole input's frames: decoding itself is proven above.
      const full = decodeAll(v.wire, { expectVersion: v.version === true });
      const problems: string[] = [];
      for (let cut = 0; cut < v.wire.length; cut++) {
        const prefix = v.wire.subarray(0, cut);
        const whole = ends.filter((e) => e <= cut).length;
        const options = { expectVersion: v.version === true };
        if (cut === 0 || ends.includes(cut)) {
          const out = decodeAll(prefix, options);
          if (canonical(out).join() !== canonical(full.slice(0, whole)).join()) problems.push(`cut ${cut}: wrong frames`);
        } else {
          let err: unknown;
          try {
            decodeAll(prefix, options);
          } catch (e) {
            err = e;
          }
          if (!(err instanceof CodecError) || err.code !== 'INVALID_MESSAGE' || err.offset !== cut) {
            problems.push(`cut ${cut}: ${err instanceof CodecError ? `${err.code} at ${err.offset}` : String(err)}`);
          }
        }
      }
      expect(problems).toEqual([]);
    });
  }
});

describe('encoder validation', () => {
  const payload = utf8('x');
  const invalidField = (frame: unknown): void => {
    const err = thrown(() => encodeFrame(frame as Frame));
    expectCodecError(err, 'INVALID_FIELD', -1);
    expectCodecError(
      thrown(() => frameSize(frame as Frame)),
      'INVALID_FIELD',
      -1,
    );
    expectCodecError(
      thrown(() => encodeFrames([{ type: 'f', code: 0 }, frame as Frame])),
      'INVALID_FIELD',
      -1,
    );
  };

  it('rejects an empty op name on r and s, and an empty notification name', () => {
    invalidField({ type: 'r', id: 1, op: '', payload });
    invalidField({ type: 's', id: 1, op: '', payload });
    invalidField({ type: 'n', name: '', payload });
  });

  it('rejects a 4096-byte name, counting UTF-8 bytes, not UTF-16 units', () => {
    invalidField({ type: 'r', id: 1, op: 'a'.repeat(4096), payload });
    invalidField({ type: 's', id: 1, op: 'b'.repeat(4096), payload });
    invalidField({ type: 'n', name: 'c'.repeat(4096), payload });
    // 1365 three-byte characters and one ASCII: 4096 bytes in only 1366 UTF-16 units.
    invalidField({ type: 'n', name: `${'€'.repeat(1365)}a`, payload });
    // 1024 emoji: 4096 bytes in 2048 units.
    invalidField({ type: 'r', id: 1, op: '🚀'.repeat(1024), payload });
    // The same minus one byte fits.
    expect(encodeFrame({ type: 'n', name: '€'.repeat(1365), payload }).length).toBe(12 + 4095 + 1);
  });

  it('rejects a request id out of the uint32 range or not an integer, on every frame type with an id', () => {
    for (const id of [-1, 0x100000000, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      invalidField({ type: 'r', id, op: 'a', payload });
      invalidField({ type: 's', id, op: 'a', payload });
      invalidField({ type: 'p', id, payload });
      invalidField({ type: 'R', id, payload });
      invalidField({ type: 'S', id, payload });
      invalidField({ type: 'E', id, payload });
      invalidField({ type: 'e', id, wait: 0, payload });
    }
  });

  it('rejects a retry wait out of the uint32 range or not an integer', () => {
    for (const wait of [-1, 0x100000000, 0.5, Number.NaN]) invalidField({ type: 'e', id: 1, wait, payload });
  });

  it('rejects a heartbeat load over 0xffff and a time out of the uint32 range', () => {
    for (const load of [-1, 0x10000, 2.5, Number.NaN]) invalidField({ type: 'h', load, time: 0 });
    for (const time of [-1, 0x100000000, 2.5, Number.NaN]) invalidField({ type: 'h', load: 0, time });
  });

  it('rejects a protocol error code out of the uint32 range or not an integer', () => {
    for (const code of [-1, 0x100000000, 1.5]) invalidField({ type: 'f', code });
  });

  it('rejects an unknown frame type', () => {
    invalidField({ type: 'x', id: 1, payload });
    invalidField({ type: 'version', version: 1 });
  });

  it('accepts every field at its wire limits', () => {
    const wire = encodeFrames([
      { type: 'e', id: 0xffffffff, wait: 0xffffffff, payload },
      { type: 'h', load: 0xffff, time: 0xffffffff },
      { type: 'f', code: 0xffffffff },
    ]);
    expect(wireText(wire)).toBe(`e${'\\xff'.repeat(4)}ffffffff00000001x` + 'hffffffffffff' + 'fffffffff');
  });

  it('encodeVersion rejects a version that is not two hex digits', () => {
    for (const version of [-1, 0x100, 1.5]) {
      expectCodecError(
        thrown(() => encodeVersion(version)),
        'INVALID_FIELD',
        -1,
      );
    }
  });
});
