import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  DEFAULT_MAX_PAYLOAD,
  decodeAll,
  encodeFrame,
  encodeFrames,
  FrameDecoder,
  frameSize,
  MAX_HEADER_BYTES,
  MAX_NAME_BYTES,
  type DecodedFrame,
  type Frame,
} from '@gotalk/protocol';
import { naiveDecode, naiveEncode } from './naive-codec.ts';
import { bytes, canonical, sameFrames, utf8, wireText } from './vectors.ts';

const utf8Length = (s: string): number => utf8(s).length;

/** `s` cut to at most 4095 UTF-8 bytes at a code point boundary (so it stays valid Unicode). */
function fitName(s: string): string {
  let n = 0;
  let out = '';
  for (const ch of s) {
    n += utf8Length(ch);
    if (n > MAX_NAME_BYTES) break;
    out += ch;
  }
  return out;
}

const uint32 = fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));

/**
 * Op and notification names: non-empty valid Unicode of 1..4095 UTF-8 bytes, mostly short,
 * sometimes near or at the limit, sometimes starting with U+FEFF (content, not a BOM to strip).
 */
const longName = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 700, maxLength: 1400 }).map(fitName),
  fc.constantFrom('a'.repeat(MAX_NAME_BYTES), '€'.repeat(1365), `${'🚀'.repeat(1023)}abc`),
);
const shortName = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }).map((s) => `\uFEFF${s}`) },
);
const validName = (s: string): boolean => {
  const n = utf8Length(s);
  return n >= 1 && n <= MAX_NAME_BYTES;
};
const name = fc.oneof({ weight: 8, arbitrary: shortName }, { weight: 1, arbitrary: longName }).filter(validName);

const payload = fc.oneof(
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 48 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 5000 }) },
);

/** Any valid frame of any type, built from the given name and payload arbitraries. */
function frameOf(names: fc.Arbitrary<string>, payloads: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Frame> {
  return fc.oneof(
    fc.record({ type: fc.constant('r' as const), id: uint32, op: names, payload: payloads }),
    fc.record({ type: fc.constant('s' as const), id: uint32, op: names, payload: payloads }),
    fc.record({ type: fc.constant('p' as const), id: uint32, payload: payloads }),
    fc.record({ type: fc.constant('R' as const), id: uint32, payload: payloads }),
    fc.record({ type: fc.constant('S' as const), id: uint32, payload: payloads }),
    fc.record({ type: fc.constant('E' as const), id: uint32, payload: payloads }),
    fc.record({ type: fc.constant('e' as const), id: uint32, wait: uint32, payload: payloads }),
    fc.record({ type: fc.constant('n' as const), name: names, payload: payloads }),
    fc.record({ type: fc.constant('h' as const), load: fc.integer({ min: 0, max: 0xffff }), time: uint32 }),
    fc.record({ type: fc.constant('f' as const), code: uint32 }),
  );
}

const frame = frameOf(name, payload);
/** Small frames, so that mutations mostly land in headers. */
const smallFrame = frameOf(shortName.filter(validName), fc.uint8Array({ maxLength: 8 }));

/** Chunk sizes, used in turn and over again. */
const chunkSizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6000 })), {
  minLength: 1,
  maxLength: 16,
});

function chunked(wire: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < wire.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(wire.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** What a decoder made of some input: the frames delivered, and the error if it stopped on one. */
interface Outcome {
  frames: DecodedFrame[];
  error: unknown;
  idle: boolean;
}

/**
 * Pushes the chunks until one throws, checking after every push that the decoder holds no more
 * than MAX_HEADER_BYTES + maxPayload bytes.
 */
function run(chunks: readonly Uint8Array[], options: { maxPayload: number; expectVersion: boolean }): Outcome {
  const decoder = new FrameDecoder(options);
  const frames: DecodedFrame[] = [];
  let error: unknown;
  let maxBuffered = 0;
  for (const chunk of chunks) {
    try {
      decoder.push(chunk, (f) => frames.push(f));
    } catch (err) {
      error = err;
    }
    maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
    if (error !== undefined) break;
  }
  expect(maxBuffered).toBeLessThanOrEqual(MAX_HEADER_BYTES + options.maxPayload);
  return { frames, error, idle: decoder.idle };
}

/** The input either decodes or fails with a CodecError of a decoder code at an offset inside it. */
function expectDecodesOrCodecError(outcome: Outcome, length: number): void {
  if (outcome.error === undefined) return;
  expect(outcome.error).toBeInstanceOf(CodecError);
  const err = outcome.error as CodecError;
  expect(['INVALID_MESSAGE', 'UNSUPPORTED_VERSION']).toContain(err.code);
  expect(err.offset).toBeGreaterThanOrEqual(0);
  expect(err.offset).toBeLessThan(length);
}

/** Our decodeAll and the naive decoder: both fail, or both give the same frames. */
function expectAgreesWithNaive(wire: Uint8Array): void {
  let ours: DecodedFrame[] | undefined;
  let naive: DecodedFrame[] | undefined;
  let oursError: unknown;
  try {
    ours = decodeAll(wire);
  } catch (err) {
    oursError = err;
  }
  try {
    naive = naiveDecode(wire);
  } catch {
    naive = undefined;
  }
  if (oursError !== undefined) expect(oursError).toBeInstanceOf(CodecError);
  expect({ wire: wireText(wire), ours: ours && canonical(ours) }).toEqual({ wire: wireText(wire), ours: naive && canonical(naive) });
}

describe('round trip', () => {
  it('decode(encode(frame)) equals the frame, for arbitrary frames of every type', () => {
    fc.assert(
      fc.property(frame, (f) => {
        const wire = encodeFrame(f);
        expect(wire.length).toBe(frameSize(f));
        expect(canonical(decodeAll(wire))).toEqual(canonical([f]));
      }),
      { numRuns: 500 },
    );
  });

  it('a sequence of frames, encoded in one batch and decoded in random chunks, comes out the same', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 8 }), chunkSizes, fc.boolean(), (frames, sizes, version) => {
        const wire = bytes(version ? '01' : '', encodeFrames(frames));
        const expected: DecodedFrame[] = version ? [{ type: 'version', version: 1 }, ...frames] : frames;
        const outcome = run(chunked(wire, sizes), { maxPayload: DEFAULT_MAX_PAYLOAD, expectVersion: version });
        expect(outcome.error).toBeUndefined();
        expect(outcome.idle).toBe(true);
        if (!sameFrames(outcome.frames, expected)) expect(canonical(outcome.frames)).toEqual(canonical(expected));
      }),
      { numRuns: 500 },
    );
  });
});

describe('the naive codec as an oracle', () => {
  it('encodeFrame and naiveEncode give the same bytes for arbitrary frames', () => {
    fc.assert(
      fc.property(frame, (f) => {
        expect(wireText(encodeFrame(f))).toBe(wireText(naiveEncode(f)));
      }),
      { numRuns: 1000 },
    );
  });

  it('decodeAll and naiveDecode give the same frames for arbitrary valid concatenations', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 8 }), (frames) => {
        const wire = bytes(...frames.map(naiveEncode));
        expect(canonical(decodeAll(wire))).toEqual(canonical(naiveDecode(wire)));
        expect(canonical(naiveDecode(wire))).toEqual(canonical(frames));
      }),
      { numRuns: 500 },
    );
  });
});

/** Bytes mostly from the wire alphabet (type letters, hex digits, a few strays), to get past the first byte. */
const wireish = fc
  .array(fc.constantFrom(...bytes('rspRSEenhf0123456789abcdefABCDEF0000000000x +:\x00\xff')), { maxLength: 120 })
  .map((a) => Uint8Array.from(a));
const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 200 }), wireish);
const decoderOptions = fc.record({
  maxPayload: fc.constantFrom(0, 3, 64, DEFAULT_MAX_PAYLOAD),
  expectVersion: fc.boolean(),
});

type Mutation = { kind: 'flip'; at: number; xor: number } | { kind: 'insert'; at: number; byte: number } | { kind: 'delete'; at: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
);

/** `wire` with each mutation applied in turn (positions taken modulo the current length). */
function mutate(wire: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  const b = Array.from(wire);
  for (const m of mutations) {
    if (m.kind === 'insert') b.splice(m.at % (b.length + 1), 0, m.byte);
    else if (b.length === 0) continue;
    else if (m.kind === 'delete') b.splice(m.at % b.length, 1);
    else b[m.at % b.length]! ^= m.xor;
  }
  return Uint8Array.from(b);
}

describe('hostile input', () => {
  it('arbitrary bytes in arbitrary chunks either decode or throw CodecError, with bounded buffering', () => {
    fc.assert(
      fc.property(fc.constantFrom('', '01'), anyBytes, chunkSizes, decoderOptions, (prefix, tail, sizes, options) => {
        const wire = bytes(prefix, tail);
        expectDecodesOrCodecError(run(chunked(wire, sizes), options), wire.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('mutated valid encodings (flipped, inserted, deleted bytes) either decode or throw CodecError, with bounded buffering', () => {
    fc.assert(
      fc.property(
        fc.array(smallFrame, { minLength: 1, maxLength: 4 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        chunkSizes,
        decoderOptions,
        (frames, mutations, sizes, options) => {
          const wire = mutate(encodeFrames(frames), mutations);
          expectDecodesOrCodecError(run(chunked(wire, sizes), { ...options, expectVersion: false }), wire.length);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('on arbitrary and mutated bytes, decodeAll and naiveDecode both fail or give the same frames', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyBytes,
          fc
            .tuple(fc.array(smallFrame, { minLength: 1, maxLength: 4 }), fc.array(mutation, { minLength: 1, maxLength: 3 }))
            .map(([frames, mutations]) => mutate(encodeFrames(frames), mutations)),
        ),
        expectAgreesWithNaive,
      ),
      { numRuns: 1000 },
    );
  });

  it('after a CodecError the decoder rethrows that same error on every later push', () => {
    fc.assert(
      fc.property(anyBytes, anyBytes, (bad, more) => {
        const decoder = new FrameDecoder();
        let first: unknown;
        try {
          decoder.push(bad, () => {});
        } catch (err) {
          first = err;
        }
        fc.pre(first !== undefined);
        let again: unknown;
        try {
          decoder.push(more, () => {});
        } catch (err) {
          again = err;
        }
        expect(again).toBe(first);
      }),
      { numRuns: 300 },
    );
  });
});
