// The decoder's invariants, checked on one input: it yields frames or throws its own CodecError
// (nothing else), holds no more than a header and one payload, delivers the same frames and the
// same error however the input is chunked, and stays failed after an error.
import { CodecError, FrameDecoder, MAX_HEADER_BYTES, type DecodedFrame, type DecoderOptions } from '@gotalk/protocol';
import { sameFrames } from '../../packages/protocol/test/vectors.ts';
import type { DecoderConfig } from './cases.ts';
import { Rng } from './rng.ts';

/** A broken invariant: `kind` names which (failures of one kind are grouped), `detail` says how. */
export interface Failure {
  readonly kind: string;
  readonly detail: string;
}

/** What is decoded: the real FrameDecoder unless a test gives another to prove the checks bite. */
export interface DecoderLike {
  push(chunk: Uint8Array, sink: (frame: DecodedFrame) => void): void;
  readonly bufferedBytes: number;
  readonly idle: boolean;
}
export type MakeDecoder = (options: DecoderOptions) => DecoderLike;

const realDecoder: MakeDecoder = (options) => new FrameDecoder(options);

interface Outcome {
  readonly decoder: DecoderLike;
  readonly frames: DecodedFrame[];
  readonly error: CodecError | null;
  readonly idle: boolean;
  readonly buffered: number;
}

const DECODER_CODES = new Set(['INVALID_MESSAGE', 'UNSUPPORTED_VERSION']);
const ONE_BYTE = new Uint8Array(1);

function describeError(e: unknown): string {
  if (e instanceof CodecError) return `CodecError ${e.code} at ${e.offset}`;
  return e instanceof Error ? `${e.name}: ${e.message}` : `non-error ${String(e)}`;
}

/** Pushes `chunks` in order, checking every push; returns the outcome or a failure. */
function decode(make: MakeDecoder, config: DecoderConfig, chunks: readonly Uint8Array[], total: number): Outcome | Failure {
  const bound = MAX_HEADER_BYTES + config.maxPayload;
  const decoder = make({ maxPayload: config.maxPayload, expectVersion: config.expectVersion });
  const frames: DecodedFrame[] = [];
  const sink = (f: DecodedFrame) => frames.push(f);
  let error: CodecError | null = null;
  for (const chunk of chunks) {
    try {
      decoder.push(chunk, sink);
    } catch (e) {
      if (!(e instanceof CodecError)) return { kind: 'decoder threw something other than a CodecError', detail: describeError(e) };
      error = e;
      break;
    }
    if (decoder.bufferedBytes > bound) {
      return { kind: 'decoder buffered more than a header and a payload', detail: `${decoder.bufferedBytes} bytes held, bound ${bound}` };
    }
  }
  if (error) {
    if (!DECODER_CODES.has(error.code)) return { kind: 'decoder error has a code a decoder never raises', detail: describeError(error) };
    if (!(error.offset >= 0 && error.offset < total))
      return { kind: 'decoder error offset outside the input', detail: `${describeError(error)}, input ${total} bytes` };
    try {
      decoder.push(ONE_BYTE, sink);
      return { kind: 'decoder accepted bytes after failing', detail: describeError(error) };
    } catch (again) {
      if (!(again instanceof CodecError) || again.code !== error.code) {
        return { kind: 'decoder does not stay failed with its error', detail: `${describeError(error)}, then ${describeError(again)}` };
      }
    }
  }
  return { decoder, frames, error, idle: decoder.idle, buffered: decoder.bufferedBytes };
}

/** Frames that break the decoder's contract on their own: over the limit, empty names, bad ids. */
function frameFault(frames: readonly DecodedFrame[], config: DecoderConfig): string | null {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (f.type === 'version') {
      if (i !== 0 || !config.expectVersion) return `version frame at index ${i}`;
      continue;
    }
    if (i === 0 && config.expectVersion) return `first frame is ${f.type}, not the version`;
    if (f.type === 'oversize') {
      if (!(f.size > config.maxPayload)) return `oversize frame of ${f.size} bytes within the limit ${config.maxPayload}`;
      if (f.frame.payload.length !== 0) return 'oversize frame carries a payload';
      continue;
    }
    if ('payload' in f && f.payload.length > config.maxPayload) return `${f.type} payload of ${f.payload.length} bytes over the limit ${config.maxPayload}`;
    if ('id' in f && !(Number.isInteger(f.id) && f.id >= 0 && f.id <= 0xffffffff)) return `${f.type} id ${f.id}`;
    if ('op' in f && (typeof f.op !== 'string' || f.op.length === 0)) return `${f.type} with an empty op`;
    if (f.type === 'n' && f.name.length === 0) return 'notification with an empty name';
  }
  return null;
}

/** Longest input whose every two-chunk split is tried when `exhaustive` (the shrinker's setting). */
const EXHAUSTIVE_MAX = 1024;

/**
 * Random chunkings of `input`: a few cut points, sometimes empty chunks, sometimes one byte at a
 * time; with `exhaustive`, also every split into two chunks (so that a failure that depends on
 * where the cut falls survives shrinking).
 */
function chunkings(input: Uint8Array, rng: Rng, exhaustive: boolean): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  if (exhaustive && input.length <= EXHAUSTIVE_MAX) {
    for (let at = 1; at < input.length; at++) out.push([input.subarray(0, at), input.subarray(at)]);
  }
  const cuts = (n: number) => {
    const points = Array.from({ length: n }, () => rng.int(input.length + 1)).sort((a, b) => a - b);
    const chunks: Uint8Array[] = [];
    let at = 0;
    for (const p of points) {
      chunks.push(input.subarray(at, p));
      at = p;
    }
    chunks.push(input.subarray(at));
    return chunks;
  };
  out.push(cuts(rng.range(1, 3)));
  if (rng.chance(0.05) && input.length <= 4096) {
    out.push(Array.from({ length: input.length }, (_, i) => input.subarray(i, i + 1)));
  } else {
    out.push(cuts(rng.range(2, 12)));
  }
  return out;
}

/** Adds `n` to a tally entry. */
export function count(tally: Record<string, number>, key: string, n = 1): void {
  tally[key] = (tally[key] ?? 0) + n;
}

function sameError(a: CodecError | null, b: CodecError | null): boolean {
  if (a === null || b === null) return a === b;
  return a.code === b.code && a.offset === b.offset;
}

/** Checks the decoder on `input`; null when every invariant holds. */
export function checkDecoder(
  input: Uint8Array,
  config: DecoderConfig,
  chunkSeed: number,
  make: MakeDecoder = realDecoder,
  tally: Record<string, number> = {},
  exhaustive = false,
): Failure | null {
  const whole = decode(make, config, [input], input.length);
  if ('kind' in whole) return whole;
  count(tally, whole.error ? `decoder: inputs rejected (${whole.error.code})` : 'decoder: inputs accepted');
  count(tally, 'decoder: frames', whole.frames.length);
  for (const f of whole.frames) if (f.type === 'oversize') count(tally, 'decoder: oversize frames skipped');
  const fault = frameFault(whole.frames, config);
  if (fault) return { kind: 'decoder yielded a malformed frame', detail: fault };
  const rng = new Rng(chunkSeed);
  for (const chunks of chunkings(input, rng, exhaustive)) {
    const split = decode(make, config, chunks, input.length);
    if ('kind' in split) return split;
    const where = `chunks of ${chunks.map((c) => c.length).join('+')} bytes`;
    if (!sameError(whole.error, split.error)) {
      return {
        kind: 'decoding depends on the chunking (error)',
        detail: `${where}: ${whole.error ? describeError(whole.error) : 'no error'} in one chunk, ${split.error ? describeError(split.error) : 'no error'} split`,
      };
    }
    if (!sameFrames(whole.frames, split.frames)) {
      return {
        kind: 'decoding depends on the chunking (frames)',
        detail: `${where}: ${whole.frames.length} frames in one chunk, ${split.frames.length} split`,
      };
    }
    if (!whole.error && (whole.idle !== split.idle || whole.buffered !== split.buffered)) {
      return {
        kind: 'decoding depends on the chunking (state at the end)',
        detail: `${where}: idle ${whole.idle}/${split.idle}, buffered ${whole.buffered}/${split.buffered}`,
      };
    }
  }
  return null;
}
