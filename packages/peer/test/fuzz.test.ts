// A slice of `pnpm fuzz` (scripts/fuzz) on the peer, fed through the fuzzer's scripted transport:
// a fixed seed and a random one (printed when it finds something). And proof that the checks
// catch peers that break the contract: throwing into the transport, closing on valid input,
// answering twice, leaving a timer behind, crashing with an unhandled rejection.
import { describe, expect, it } from 'vitest';
import { Peer, type PeerOptions, type Transport, type TransportEvents } from '@gotalk/peer';
import type { MakePeer } from '../../../scripts/fuzz/peer-check.ts';
import { runFuzz, type FuzzReport } from '../../../scripts/fuzz/run.ts';
import { hex32 } from '../../../scripts/fuzz/rng.ts';
import { hexDump } from '../../../scripts/fuzz/wire.ts';

function describeFailures(report: FuzzReport): string {
  return report.failures
    .map((f) => `seed ${hex32(report.seed)} case ${f.caseIndex}: ${f.target}: ${f.kind}\n${f.detail}\nreplay: ${f.replay}\n${hexDump(f.input)}`)
    .join('\n\n');
}

/** A peer whose transport is wrapped: `onData` sees each chunk first, `onWrite` each write. */
function wrapped(hooks: { onData?: (chunk: Uint8Array, events: TransportEvents) => void; onWrite?: (bytes: Uint8Array, t: Transport) => void }): MakePeer {
  return (t: Transport, options: PeerOptions) => {
    const w: Transport = {
      start: (events) =>
        t.start({
          ...events,
          data: (chunk) => {
            hooks.onData?.(chunk, events);
            events.data(chunk);
          },
        }),
      write: (bytes) => {
        const ok = t.write(bytes);
        hooks.onWrite?.(bytes, t);
        return ok;
      },
      pause: () => t.pause(),
      resume: () => t.resume(),
      close: () => t.close(),
      destroy: (e) => t.destroy(e),
    };
    return new Peer(w, options);
  };
}

describe('fuzzing the peer', () => {
  it('holds every invariant over 8,000 generated and mutated inputs (fixed seed)', async () => {
    const report = await runFuzz({ seed: 0x9ee7, count: 8_000, targets: ['peer'] });
    expect(report.failureCount, describeFailures(report)).toBe(0);
    // The inputs reach every ending: open, closed on invalid bytes, closed on the other side's f.
    expect(report.tally['peer: stayed open']).toBeGreaterThan(2_000);
    expect(report.tally['peer: closed on invalid input (f sent)']).toBeGreaterThan(2_000);
    expect(report.tally["peer: closed on the other side's f"]).toBeGreaterThan(100);
    expect(report.tally['peer: requests answered']).toBeGreaterThan(5_000);
  }, 60_000);

  it('holds every invariant over 2,000 inputs of a random seed (printed on failure)', async () => {
    const seed = (Math.random() * 2 ** 32) >>> 0;
    const report = await runFuzz({ seed, count: 2_000, targets: ['peer'] });
    expect(report.failureCount, `seed ${hex32(seed)}:\n${describeFailures(report)}`).toBe(0);
  }, 60_000);

  const faults: [string, MakePeer, string][] = [
    [
      'throws out of the data callback',
      wrapped({
        onData: (chunk) => {
          if (chunk.includes(0x6e)) throw new Error('data callback failed');
        },
      }),
      'peer threw out of a transport callback',
    ],
    ['closes when a heartbeat arrives', wrapped({ onData: (chunk, events) => chunk.includes(0x68) && events.close() }), 'peer closed on valid input'],
    [
      'sends every batch of replies twice',
      wrapped({ onWrite: (bytes, t) => bytes[0] !== 0x30 && bytes.includes(0x52) && t.write(bytes.slice()) }),
      'peer sent more final replies than requests for an id',
    ],
    ['leaves a timer running', wrapped({ onData: (chunk) => chunk.includes(0x70) && setTimeout(() => {}, 600_000) }), 'peer left timers running after closing'],
    [
      'rejects a promise nobody handles',
      wrapped({ onData: (chunk) => chunk.includes(0x73) && void Promise.reject(new Error('nobody handles this')) }),
      'peer crashed the process (unhandled rejection)',
    ],
  ];
  it.each(faults)(
    'catches a peer that %s, with seed, replay and a shrunk input',
    async (_what, make, kind) => {
      const report = await runFuzz({ seed: 11, count: 300, targets: ['peer'], makePeer: make });
      const failure = report.failures.find((f) => f.kind === kind);
      expect(failure, `${[...report.kinds.keys()].join(', ')}\n${describeFailures(report)}`).toBeDefined();
      expect(failure!.replay).toBe(`npx --yes pnpm@10 fuzz --seed 0x0000000b --case ${failure!.caseIndex}`);
      expect(failure!.input.length).toBeLessThanOrEqual(failure!.originalLength);
    },
    60_000,
  );
});
