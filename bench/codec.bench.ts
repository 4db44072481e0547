// Method: per case, warm up for time/4, then run whole batches until `--time=ms` (default 1000) has passed; frames/s and MB/s (10^6 wire bytes, header + payload) against the naive string codec.
import { encodeFrame, encodeFrames, FrameDecoder, type DecodedFrame, type Frame } from '../packages/protocol/src/index.ts';
import { naiveDecode, naiveEncode } from '../packages/protocol/test/naive-codec.ts';
import { benchTime, printAligned } from './micro.ts';

const { timeMs: TIME_MS, warmupMs: WARMUP_MS } = benchTime(1000);

/** Frames encoded per `encodeFrames` call: one transport write for a batch. */
const BATCH = 64;
/** Socket-sized read: what a TCP or WebSocket reader typically hands the decoder. */
const CHUNK = 64 * 1024;

/** Results go here so that the engine cannot drop the work as dead code. */
let blackhole = 0;

interface Measured {
  readonly frames: number;
  readonly bytes: number;
  readonly ms: number;
}

/** Runs `batch` (which returns the frames and wire bytes it handled) for `ms` milliseconds. */
function runFor(ms: number, batch: () => readonly [frames: number, bytes: number]): Measured {
  let frames = 0;
  let bytes = 0;
  const start = performance.now();
  let now = start;
  do {
    const [f, b] = batch();
    frames += f;
    bytes += b;
    now = performance.now();
  } while (now - start < ms);
  return { frames, bytes, ms: now - start };
}

function measure(batch: () => readonly [frames: number, bytes: number]): { fps: number; mbps: number } {
  runFor(WARMUP_MS, batch);
  const m = runFor(TIME_MS, batch);
  return { fps: (m.frames * 1000) / m.ms, mbps: (m.bytes * 1000) / m.ms / 1e6 };
}

function payloadOf(size: number): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = 0x61 + (i % 26); // printable, so a string codec is not penalised
  return p;
}

function framesOf(type: 'r' | 'R', count: number, payload: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) {
    frames.push(type === 'r' ? { type, id: i + 1, op: 'echo', payload } : { type, id: i + 1, payload });
  }
  return frames;
}

function chunksOf(buf: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < buf.length; at += size) out.push(buf.subarray(at, Math.min(at + size, buf.length)));
  return out;
}

const sink = (f: DecodedFrame): void => {
  blackhole += f.type.length;
};

interface Row {
  readonly label: string;
  readonly codec: string;
  readonly fps: number;
  readonly mbps: number;
  /** This row's frames/s over the naive codec's for the same case; null on the naive row itself. */
  readonly ratio: number | null;
  readonly note?: string;
}

const rows: Row[] = [];

function benchCase(type: 'r' | 'R', payloadSize: number, framesInBuffer: number): void {
  const size = payloadSize >= 1024 ? `${payloadSize / 1024} KiB` : `${payloadSize} B`;
  const frames = framesOf(type, framesInBuffer, payloadOf(payloadSize));
  const batch = frames.slice(0, BATCH);

  // Encode: one frame per call, and a batch of BATCH frames into one buffer.
  let next = 0;
  const encNaive = measure(() => {
    const out = naiveEncode(frames[next++ % frames.length]!);
    blackhole += out.length;
    return [1, out.length];
  });
  next = 0;
  const encOne = measure(() => {
    const out = encodeFrame(frames[next++ % frames.length]!);
    blackhole += out.length;
    return [1, out.length];
  });
  const encBatch = measure(() => {
    const out = encodeFrames(batch);
    blackhole += out.length;
    return [batch.length, out.length];
  });
  const enc = `encode ${type} ${size}`;
  rows.push(
    { label: enc, codec: 'ours encodeFrame', ...encOne, ratio: encOne.fps / encNaive.fps },
    { label: enc, codec: `ours encodeFrames x${batch.length}`, ...encBatch, ratio: encBatch.fps / encNaive.fps },
    { label: enc, codec: 'naive naiveEncode', ...encNaive, ratio: null },
  );

  // Decode: one big buffer of many frames, and the same bytes in 64 KiB socket-sized chunks.
  const wire = encodeFrames(frames);
  const chunks = chunksOf(wire, CHUNK);
  const decNaive = measure(() => {
    const out = naiveDecode(wire);
    blackhole += out.length;
    return [out.length, wire.length];
  });
  const decWhole = measure(() => {
    new FrameDecoder().push(wire, sink);
    return [frames.length, wire.length];
  });
  const decChunks = measure(() => {
    const decoder = new FrameDecoder();
    for (const c of chunks) decoder.push(c, sink);
    return [frames.length, wire.length];
  });
  // A sanity note, never a failure: the two decoders should agree on the frame count.
  const naiveCount = naiveDecode(wire).length;
  const note = naiveCount === frames.length ? undefined : `naive decoded ${naiveCount}/${frames.length} frames`;
  const dec = `decode ${type} ${size}`;
  const buffer = `${framesInBuffer} frames, ${(wire.length / 1024).toFixed(0)} KiB`;
  rows.push(
    { label: dec, codec: `ours push (one buffer: ${buffer})`, ...decWhole, ratio: decWhole.fps / decNaive.fps },
    { label: dec, codec: `ours push (${CHUNK / 1024} KiB chunks)`, ...decChunks, ratio: decChunks.fps / decNaive.fps },
    { label: dec, codec: 'naive naiveDecode (one buffer)', ...decNaive, ratio: null, ...(note ? { note } : {}) },
  );
}

function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

function printTable(): void {
  const header = ['case', 'codec', 'frames/s', 'MB/s', 'ours/naive'];
  const body = rows.map((r) => [
    r.label,
    r.codec,
    fmtRate(r.fps),
    r.mbps >= 1000 ? r.mbps.toFixed(0) : r.mbps.toFixed(1),
    r.ratio === null ? '1.00' : r.ratio.toFixed(2),
    r.note ?? '',
  ]);
  printAligned(header, body, [false, false, true, true, true], true);
}

console.log(`codec benchmark: node ${process.version}, ${TIME_MS} ms per case after ${WARMUP_MS} ms warm-up`);
console.log('');
benchCase('r', 32, 4096);
benchCase('R', 32, 4096);
benchCase('r', 64 * 1024, 64);
benchCase('R', 64 * 1024, 64);
printTable();
console.log('');
console.log('Decoding one buffer hands out payload views of it (no copy); in 64 KiB chunks, payloads split');
console.log('across chunks are copied. The naive codec has no streaming decoder, so both are set against');
console.log('its whole-buffer decode. MB/s counts wire bytes (header + payload), 1 MB = 10^6 bytes.');
if (blackhole === -1) console.log(''); // keeps `blackhole` observable
