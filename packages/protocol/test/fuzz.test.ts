// A slice of `pnpm fuzz` (scripts/fuzz) on the decoder: a fixed seed, so a run is the same every
// time, and a random one, printed when it finds something. And proof that the fuzzer's checks
// catch a decoder that breaks its contract.
import { describe, expect, it } from 'vitest';
import { FrameDecoder, type DecodedFrame, type DecoderOptions } from '@gotalk/protocol';
import { runFuzz, type FuzzReport } from '../../../scripts/fuzz/run.ts';
import { hex32 } from '../../../scripts/fuzz/rng.ts';
import { hexDump } from '../../../scripts/fuzz/wire.ts';

/** The report's failures, readable: seed, kind, replay command, detail, shrunk input. */
function describeFailures(report: FuzzReport): string {
  return report.failures
    .map((f) => `seed ${hex32(report.seed)} case ${f.caseIndex}: ${f.target}: ${f.kind}\n${f.detail}\nreplay: ${f.replay}\n${hexDump(f.input)}`)
    .join('\n\n');
}

describe('fuzzing the decoder', () => {
  it('holds every invariant over 20,000 generated and mutated inputs (fixed seed)', async () => {
    const report = await runFuzz({ seed: 0x60741c, count: 20_000, targets: ['decoder'] });
    expect(report.failureCount, describeFailures(report)).toBe(0);
    // The inputs reach both outcomes and the skip path, not just one of them.
    expect(report.tally['decoder: inputs accepted']).toBeGreaterThan(5_000);
    expect(report.tally['decoder: inputs rejected (INVALID_MESSAGE)']).toBeGreaterThan(5_000);
    expect(report.tally['decoder: oversize frames skipped']).toBeGreaterThan(1_000);
  }, 60_000);

  it('holds every invariant over 5,000 inputs of a random seed (printed on failure)', async () => {
    const seed = (Math.random() * 2 ** 32) >>> 0;
    const report = await runFuzz({ seed, count: 5_000, targets: ['decoder'] });
    expect(report.failureCount, `seed ${hex32(seed)}:\n${describeFailures(report)}`).toBe(0);
  }, 60_000);

  it('catches a decoder that throws something other than a CodecError, with its seed, replay and a shrunk input', async () => {
    // A decoder that fails with a TypeError on every heartbeat.
    const broken = (options: DecoderOptions) => {
      const inner = new FrameDecoder(options);
      return {
        push(chunk: Uint8Array, sink: (f: DecodedFrame) => void) {
          inner.push(chunk, (f) => {
            if (f.type === 'h') throw new TypeError('boom');
            sink(f);
          });
        },
        get bufferedBytes() {
          return inner.bufferedBytes;
        },
        get idle() {
          return inner.idle;
        },
      };
    };
    const report = await runFuzz({ seed: 7, count: 500, targets: ['decoder'], makeDecoder: broken });
    const failure = report.failures.find((f) => f.kind === 'decoder threw something other than a CodecError');
    expect(failure, describeFailures(report)).toBeDefined();
    expect(failure!.detail).toContain('TypeError: boom');
    expect(failure!.replay).toBe(`npx --yes pnpm@10 fuzz --seed 0x00000007 --case ${failure!.caseIndex}`);
    // Shrunk to a heartbeat (13 bytes), perhaps behind the version.
    expect(failure!.input.length).toBeLessThanOrEqual(15);
    expect(new TextDecoder().decode(failure!.input)).toMatch(/h/);
  }, 60_000);

  it('catches a decoder whose result depends on the chunking', async () => {
    // A decoder that loses a notification arriving in a chunk of its own.
    const lossy = (options: DecoderOptions) => {
      const inner = new FrameDecoder(options);
      return {
        push(chunk: Uint8Array, sink: (f: DecodedFrame) => void) {
          const frames: DecodedFrame[] = [];
          inner.push(chunk, (f) => frames.push(f));
          if (!(frames.length === 1 && frames[0]!.type === 'n' && chunk[0] === 0x6e)) frames.forEach(sink);
        },
        get bufferedBytes() {
          return inner.bufferedBytes;
        },
        get idle() {
          return inner.idle;
        },
      };
    };
    const report = await runFuzz({ seed: 8, count: 2_000, targets: ['decoder'], makeDecoder: lossy });
    expect([...report.kinds.keys()], describeFailures(report)).toContain('decoder: decoding depends on the chunking (frames)');
  }, 60_000);
});
