import { describe, expect, it } from 'vitest';
import { CodecError, decodeAll, FrameDecoder, type DecodedFrame, type DecoderOptions } from '@gotalk/protocol';
import { bytes, canonical, invalidVectors, sameFrames, validVectors, type InvalidVector, type ValidVector } from './vectors.ts';

/** mulberry32: a tiny seeded PRNG, so every run feeds the same "random" chunkings. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `wire` cut at `k` into two chunks (either may be empty: empty pushes must be harmless). */
function twoChunks(wire: Uint8Array, k: number): Uint8Array[] {
  return [wire.subarray(0, k), wire.subarray(k)];
}

/** `wire` one byte per chunk. */
function* byteByByte(wire: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < wire.length; i++) yield wire.subarray(i, i + 1);
}

/** `wire` in chunks of random sizes 1..maxChunk. */
function randomChunks(wire: Uint8Array, rand: () => number, maxChunk: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < wire.length;) {
    const n = 1 + Math.floor(rand() * maxChunk);
    out.push(wire.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Decodes the chunks in order with one decoder; `idle` says the input ended on a frame boundary. */
function decodeChunks(chunks: Iterable<Uint8Array>, options: DecoderOptions): { frames: DecodedFrame[]; idle: boolean } {
  const decoder = new FrameDecoder(options);
  const frames: DecodedFrame[] = [];
  for (const chunk of chunks) decoder.push(chunk, (f) => frames.push(f));
  return { frames, idle: decoder.idle };
}

/**
 * Split offsets to try: all of them; for a large vector (each split copies its whole payload)
 * every offset in the first and last 64 bytes and about 100 spread between.
 */
function splitOffsets(v: ValidVector): number[] {
  const n = v.wire.length;
  if (!v.large) return Array.from({ length: n + 1 }, (_, k) => k);
  const ks = new Set<number>();
  for (let k = 0; k <= 64; k++) ks.add(k).add(n - k);
  for (let k = 64; k < n; k += Math.floor(n / 99)) ks.add(k);
  return [...ks].sort((a, b) => a - b);
}

/**
 * Feeds every chunking to a decoder and lists those whose frames differ from `expected` or that
 * leave the decoder mid-frame. On a mismatch, the first one's frames are compared for a readable diff.
 */
function checkChunkings(options: DecoderOptions, expected: readonly DecodedFrame[], chunkings: Iterable<[label: string, chunks: Iterable<Uint8Array>]>): void {
  const bad: string[] = [];
  let firstBad: DecodedFrame[] | undefined;
  for (const [label, chunks] of chunkings) {
    const { frames, idle } = decodeChunks(chunks, options);
    if (!idle || !sameFrames(frames, expected)) {
      bad.push(label);
      firstBad ??= frames;
    }
  }
  if (firstBad) expect(canonical(firstBad)).toEqual(canonical(expected));
  expect(bad).toEqual([]);
}

function* allSplits(v: ValidVector): Generator<[string, Uint8Array[]]> {
  for (const k of splitOffsets(v)) yield [`split at ${k}`, twoChunks(v.wire, k)];
}

function* randomChunkings(wire: Uint8Array, seed: number, count: number): Generator<[string, Uint8Array[]]> {
  const rand = prng(seed);
  // Over 64 KiB, tiny chunks are left to the byte-by-byte test: a million pushes each is slow.
  const limits = wire.length > 65536 ? [7, 64, 1024, 65536, wire.length] : [2, 7, 64, 1024, wire.length];
  for (let i = 0; i < count; i++) {
    const max = limits[i % limits.length]!;
    yield [`random chunking #${i} (chunks of 1..${max}, seed ${seed})`, randomChunks(wire, rand, max)];
  }
}

describe('each valid vector decodes the same however it is split', () => {
  for (const v of validVectors) {
    // Compared with the one-push decode: that it equals the vector's frames is proven in vectors.test.ts.
    const options = { expectVersion: v.version === true };

    it(`${v.name}: split in two at every offset${v.large ? ' (sampled)' : ''}`, () => {
      checkChunkings(options, decodeAll(v.wire, options), allSplits(v));
    });

    it(`${v.name}: fed one byte at a time`, () => {
      checkChunkings(options, decodeAll(v.wire, options), [['byte by byte', byteByByte(v.wire)]]);
    });

    it(`${v.name}: in seeded random chunkings`, () => {
      checkChunkings(options, decodeAll(v.wire, options), randomChunkings(v.wire, 0x5eed + v.wire.length, v.large ? 5 : 20));
    });
  }
});

/** All the vectors back to back as one conversation: the version once, first, then every vector's frames. */
function concatenate(vectors: readonly ValidVector[]): ValidVector {
  const tail = (v: ValidVector): Uint8Array => (v.version ? v.wire.subarray(2) : v.wire);
  const frames = (v: ValidVector): readonly DecodedFrame[] => (v.version ? v.frames.slice(1) : v.frames);
  return {
    name: 'all vectors',
    wire: bytes('01', ...vectors.map(tail)),
    frames: [{ type: 'version', version: 1 }, ...vectors.flatMap(frames)],
    version: true,
  };
}

describe('all valid vectors concatenated, the version first', () => {
  // Splitting at every offset is quadratic: the vectors over 1 KiB (the 4095-byte names, 1 MiB
  // payload) are split at every offset on their own above, and go into the random chunkings here.
  const small = concatenate(validVectors.filter((v) => v.wire.length <= 1024));
  const all = concatenate(validVectors);
  const options = { expectVersion: true };

  it('the concatenation of every vector decodes in one push to all their frames', () => {
    expect(validVectors.some((v) => v.large)).toBe(true);
    expect(canonical(decodeAll(all.wire, options))).toEqual(canonical(all.frames));
  });

  it('the vectors up to 1 KiB: split in two at every offset', () => {
    checkChunkings(options, decodeAll(small.wire, options), allSplits(small));
  });

  it('the vectors up to 1 KiB: fed one byte at a time', () => {
    checkChunkings(options, decodeAll(small.wire, options), [['byte by byte', byteByByte(small.wire)]]);
  });

  it('all vectors, the 1 MiB one included: in seeded random chunkings', () => {
    checkChunkings(options, decodeAll(all.wire, options), randomChunkings(all.wire, 20200917, 5));
  });
});

/** Pushes the chunks until one throws; returns the frames delivered and the error. */
function failChunks(v: InvalidVector, chunks: Iterable<Uint8Array>): { delivered: DecodedFrame[]; error: unknown } {
  const decoder = new FrameDecoder({
    expectVersion: v.expectVersion === true,
    ...(v.maxPayload === undefined ? {} : { maxPayload: v.maxPayload }),
  });
  const delivered: DecodedFrame[] = [];
  try {
    for (const chunk of chunks) decoder.push(chunk, (f) => delivered.push(f));
  } catch (error) {
    return { delivered, error };
  }
  return { delivered, error: undefined };
}

describe('each invalid vector fails the same however it is split', () => {
  for (const v of invalidVectors) {
    it(`${v.name}: ${v.code} at ${v.offset} when split in two at every offset and fed byte by byte`, () => {
      const expected = canonical(v.delivered ?? []);
      const chunkings: [string, Iterable<Uint8Array>][] = [['byte by byte', byteByByte(v.wire)]];
      for (let k = 0; k <= v.wire.length; k++) chunkings.push([`split at ${k}`, twoChunks(v.wire, k)]);
      const bad: string[] = [];
      for (const [label, chunks] of chunkings) {
        const { delivered, error } = failChunks(v, chunks);
        const ok = error instanceof CodecError && error.code === v.code && error.offset === v.offset && canonical(delivered).join() === expected.join();
        if (!ok) bad.push(`${label}: ${error instanceof CodecError ? `${error.code} at ${error.offset}` : String(error)}`);
      }
      expect(bad).toEqual([]);
    });
  }
});
