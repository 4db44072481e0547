// The fuzz loop: builds each case from the run seed and its index, runs the decoder and the
// peer checks on it, and collects the failures (each shrunk, with what replays it).
import { makeCase, type FuzzCase } from './cases.ts';
import { checkDecoder, type Failure, type MakeDecoder } from './decoder-check.ts';
import { Guard } from './guard.ts';
import { checkPeer, type MakePeer } from './peer-check.ts';
import { caseSeed, hex32 } from './rng.ts';
import { shrink } from './shrink.ts';

export type Target = 'decoder' | 'peer';

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  /** The run seed (a uint32): the same seed and count run the same cases. */
  readonly seed: number;
  /** Cases to run. */
  readonly count: number;
  /** Index of the first case (default 0): `first: N, count: 1` replays case N alone. */
  readonly first?: number;
  /** What each input is fed to (default both). */
  readonly targets?: readonly Target[];
  /** Failures shrunk and reported in full (default 5, at most one per kind); all are counted. */
  readonly report?: number;
  /** Tries the shrinker may spend on each reported failure (default 2000 for the decoder, 400 for the peer). */
  readonly shrinkBudget?: number;
  /** Check that the heap and external memory after GC do not grow over the run by more than this (bytes); needs `--expose-gc`. */
  readonly heapBound?: number;
  /** Called every `progressEvery` cases. */
  readonly onProgress?: (done: number, failures: number) => void;
  readonly progressEvery?: number;
  /** The decoder and peer under test (tests give faulty ones to prove the checks catch them). */
  readonly makeDecoder?: MakeDecoder;
  readonly makePeer?: MakePeer;
}

/** A failure as reported: where it came from, how to replay it, and a shrunk input. */
export interface FuzzFailure extends Failure {
  readonly target: Target;
  readonly caseIndex: number;
  readonly caseSeed: number;
  readonly origin: string;
  /** The shrunk input that still fails the same way. */
  readonly input: Uint8Array;
  readonly originalLength: number;
  /** The command that runs this case again. */
  readonly replay: string;
}

/** What a run did and found. */
export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly inputBytes: number;
  /** Failing cases (a case failing both targets counts twice). */
  readonly failureCount: number;
  readonly failures: readonly FuzzFailure[];
  /** Failures per kind. */
  readonly kinds: ReadonlyMap<string, number>;
  /** How the inputs ended for the decoder and the peer (coverage, not checks). */
  readonly tally: Readonly<Record<string, number>>;
  readonly ms: number;
  /** Heap used plus external memory after GC, once warm and at the end, when GC could be forced. */
  readonly heap: { readonly start: number; readonly end: number; readonly bound: number } | null;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** The JS heap and the memory outside it (buffers) after GC. */
function heapAfterGc(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Runs `options.count` cases; never throws for a failure (they are in the report). */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const targets = new Set(options.targets ?? ['decoder', 'peer']);
  const first = options.first ?? 0;
  const reportMax = options.report ?? 5;
  const failures: FuzzFailure[] = [];
  const kinds = new Map<string, number>();
  const tally: Record<string, number> = {};
  const guard = new Guard();
  let failureCount = 0;
  let inputBytes = 0;
  const heapCheck = options.heapBound !== undefined && gc !== undefined;
  const warm = first + Math.min(Math.floor(options.count / 20), 20_000);
  let heapStart = 0;

  const peerFailure = async (c: FuzzCase, input: Uint8Array, counts: Record<string, number> = {}): Promise<Failure | null> => {
    const f = await checkPeer(input, c.peer, c.chunkSeed, guard, options.makePeer, counts);
    const problems = guard.take();
    if (problems.length > 0) return { kind: `peer crashed the process (${problems[0]!.split(':')[0]})`, detail: problems.join('\n') };
    return f;
  };
  const record = async (target: Target, c: FuzzCase, failure: Failure, again: (input: Uint8Array, kind: string) => Promise<Failure | null>) => {
    failureCount++;
    const kind = `${target}: ${failure.kind}`;
    const seen = kinds.get(kind) ?? 0;
    kinds.set(kind, seen + 1);
    if (seen > 0 || failures.length >= reportMax) return;
    const budget = options.shrinkBudget ?? (target === 'decoder' ? 2000 : 400);
    const input = await shrink(c.input, async (candidate) => (await again(candidate, failure.kind))?.kind === failure.kind, budget);
    const detail = input === c.input ? failure.detail : ((await again(input, failure.kind))?.detail ?? failure.detail);
    failures.push({
      target,
      kind: failure.kind,
      detail,
      caseIndex: c.index,
      caseSeed: c.seed,
      origin: c.origin,
      input,
      originalLength: c.input.length,
      replay: `npx --yes pnpm@10 fuzz --seed ${hex32(options.seed)} --case ${c.index}`,
    });
  };

  try {
    for (let i = first; i < first + options.count; i++) {
      if (heapCheck && i === warm) heapStart = heapAfterGc();
      const c = makeCase(i, caseSeed(options.seed, i));
      inputBytes += c.input.length;
      if (targets.has('decoder')) {
        // While shrinking a chunking failure, every two-chunk split is tried: where the cut must fall moves as bytes go.
        const again = async (input: Uint8Array, kind: string) =>
          checkDecoder(input, c.decoder, c.chunkSeed, options.makeDecoder, {}, kind.startsWith('decoding depends on the chunking'));
        const f = checkDecoder(c.input, c.decoder, c.chunkSeed, options.makeDecoder, tally, false);
        if (f) await record('decoder', c, f, again);
      }
      if (targets.has('peer')) {
        const f = await peerFailure(c, c.input, tally);
        if (f) await record('peer', c, f, (input) => peerFailure(c, input));
      }
      const done = i - first + 1;
      if (options.onProgress && done % (options.progressEvery ?? 100_000) === 0 && done < options.count) options.onProgress(done, failureCount);
    }
  } finally {
    guard.uninstall();
  }

  let heap: FuzzReport['heap'] = null;
  if (heapCheck && options.count > warm - first) {
    const end = heapAfterGc();
    heap = { start: heapStart, end, bound: options.heapBound! };
    if (end - heapStart > options.heapBound!) {
      failureCount++;
      const kind = 'peer: memory grew over the run';
      kinds.set(kind, 1);
      failures.push({
        target: 'peer',
        kind: 'memory grew over the run',
        detail: `heap + external after GC ${(heapStart / 2 ** 20).toFixed(1)} MiB once warm, ${(end / 2 ** 20).toFixed(1)} MiB at the end (bound +${(options.heapBound! / 2 ** 20).toFixed(0)} MiB)`,
        caseIndex: -1,
        caseSeed: 0,
        origin: 'the whole run',
        input: new Uint8Array(0),
        originalLength: 0,
        replay: `npx --yes pnpm@10 fuzz --seed ${hex32(options.seed)} --count ${options.count}`,
      });
    }
  }
  return { seed: options.seed, cases: options.count, inputBytes, failureCount, failures, kinds, tally, ms: performance.now() - started, heap };
}
