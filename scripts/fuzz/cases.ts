// One fuzz case: everything it is made of comes from its own seed, so that `--seed S --case N`
// rebuilds it exactly.
import { DEFAULT_MAX_PAYLOAD } from '@gotalk/protocol';
import { generateSession } from './generate.ts';
import { CORPUS, mutateBytes, mutateFrames, VALID_FRAMES } from './mutate.ts';
import { Rng } from './rng.ts';
import { concatBytes, VERSION } from './wire.ts';

/** How the decoder of a case is set up. */
export interface DecoderConfig {
  readonly maxPayload: number;
  readonly expectVersion: boolean;
}

/** How the peer of a case is set up, and how its input is delivered. */
export interface PeerConfig {
  readonly maxPayload: number;
  readonly maxRequests: number;
  readonly maxStreams: number;
  readonly streamBuffer: number;
  readonly retries: number;
  /** Heartbeats, handshake, idle and request timeouts: 0 (none) or a long one that never fires within a case. */
  readonly timers: boolean;
  readonly fallback: boolean;
  /** The transport reports write pressure past this many bytes (Infinity: never). */
  readonly highWaterMark: number;
  readonly writev: boolean;
  /** Requests the peer itself makes before reading its input. */
  readonly ownRequests: number;
  readonly ownStream: boolean;
}

/** Ids the fuzzed peer's own requests get: singles count from 0, streams from 0x80000000. */
export function ownIds(config: PeerConfig): number[] {
  const ids = Array.from({ length: config.ownRequests }, (_, i) => i);
  if (config.ownStream) ids.push(0x80000000);
  return ids;
}

/** A case: its input, the set-up of both targets, and the seed of its chunking and timing. */
export interface FuzzCase {
  readonly index: number;
  readonly seed: number;
  /** How the input was made (for the report). */
  readonly origin: string;
  readonly input: Uint8Array;
  readonly decoder: DecoderConfig;
  readonly peer: PeerConfig;
  readonly chunkSeed: number;
}

const PEER_PAYLOADS = [0, 1, 16, 64, 1024, 65_536];
const DECODER_PAYLOADS = [0, 1, 16, 64, 1024, 65_536, DEFAULT_MAX_PAYLOAD];

function peerConfig(rng: Rng): PeerConfig {
  return {
    maxPayload: rng.chance(0.6) ? 1024 : rng.pick(PEER_PAYLOADS),
    maxRequests: rng.pick([1, 2, 4, 1024]),
    maxStreams: rng.pick([0, 1, 2, 64]),
    streamBuffer: rng.pick([1, 64, 1024 * 1024]),
    retries: rng.pick([0, 0, 1]),
    timers: rng.chance(0.3),
    fallback: rng.chance(0.2),
    highWaterMark: rng.chance(0.7) ? Infinity : rng.pick([1, 64, 4096]),
    writev: rng.chance(0.5),
    ownRequests: rng.pick([0, 0, 1, 3]),
    ownStream: rng.chance(0.3),
  };
}

function startsWithVersion(input: Uint8Array): boolean {
  return input.length >= 2 && input[0] === 0x30 && input[1] === 0x31;
}

/** A few vectors back to back, usually after the version. */
function vectorRun(rng: Rng): Uint8Array[] {
  const pieces = rng.chance(0.8) ? [VERSION] : [];
  const n = rng.range(1, 4);
  for (let i = 0; i < n; i++) pieces.push(rng.chance(0.7) ? rng.pick(VALID_FRAMES) : rng.pick(CORPUS));
  return pieces;
}

/** Builds case `index` from its seed. */
export function makeCase(index: number, seed: number): FuzzCase {
  const rng = new Rng(seed);
  const peer = peerConfig(rng);
  const ctx = { maxPayload: peer.maxPayload, ownIds: ownIds(peer) };
  const other = () => (rng.chance(0.5) ? rng.pick(CORPUS) : concatBytes(generateSession(rng, ctx)));
  const kind = rng.weighted<string>([
    [30, 'session'],
    [10, 'vectors'],
    [45, 'mutated session'],
    [15, 'mutated vectors'],
  ]);
  let frames = kind.endsWith('vectors') ? vectorRun(rng) : generateSession(rng, ctx);
  if (kind.startsWith('mutated') && rng.chance(0.5)) frames = mutateFrames(rng, frames);
  let input = concatBytes(frames);
  if (kind.startsWith('mutated')) {
    const n = rng.chance(0.7) ? 1 : rng.range(2, 5);
    for (let i = 0; i < n; i++) input = mutateBytes(rng, input, other);
  }
  const versioned = startsWithVersion(input);
  const decoder: DecoderConfig = {
    maxPayload: rng.chance(0.5) ? peer.maxPayload : rng.pick(DECODER_PAYLOADS),
    expectVersion: versioned ? rng.chance(0.9) : rng.chance(0.1),
  };
  return { index, seed, origin: kind, input, decoder, peer, chunkSeed: rng.u32() };
}
