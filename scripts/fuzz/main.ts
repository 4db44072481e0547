// pnpm fuzz: feeds generated and mutated Gotalk input to the decoder and to a peer, checks their
// invariants on every case, and prints what it ran and what failed. Exits 1 on any failure.
//
//   npx --yes pnpm@10 fuzz [--seed N] [--count N] [--case N] [--target decoder|peer] [--heap-bound MiB] [--workers N]
//
// --seed     the run seed, decimal or 0x-hex (default: random, printed); the same seed runs the same cases
// --count    cases to run (default 1000000)
// --case     run only case N of the seed, and print its input (replays a reported failure)
// --target   feed only the decoder or only the peer (default both)
// --heap-bound  fail when the heap + external memory after GC grow more than this over the run (default 32 MiB; needs --expose-gc, which pnpm fuzz passes)
// --workers  processes sharing the cases (default: one per core, at most 2); each case is built from
//            the seed and its index alone, so the split does not change what is run
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { randomInt } from 'node:crypto';
import { makeCase } from './cases.ts';
import { caseSeed, hex32 } from './rng.ts';
import { runFuzz, type FuzzReport, type Target } from './run.ts';
import { hexDump, toHex } from './wire.ts';

const USAGE = 'usage: npx --yes pnpm@10 fuzz [--seed N] [--count N] [--case N] [--target decoder|peer] [--heap-bound MiB] [--workers N]';

interface Args {
  seed: number;
  count: number;
  caseIndex: number | null;
  targets: Target[];
  heapBound: number;
  workers: number;
}

function parseArgs(argv: readonly string[]): Args {
  const out: Args = {
    seed: randomInt(0, 2 ** 32 - 1),
    count: 1_000_000,
    caseIndex: null,
    targets: ['decoder', 'peer'],
    heapBound: 32,
    workers: Math.min(2, availableParallelism()),
  };
  const number = (flag: string, v: string | undefined) => {
    const n = v !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) throw new Error(`${flag} needs a number, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--') continue;
    const value = argv[++i];
    if (flag === '--seed') out.seed = number(flag, value) >>> 0;
    else if (flag === '--count') out.count = number(flag, value);
    else if (flag === '--case') out.caseIndex = number(flag, value);
    else if (flag === '--heap-bound') out.heapBound = number(flag, value);
    else if (flag === '--workers') out.workers = Math.max(1, number(flag, value));
    else if (flag === '--target') {
      if (value !== 'decoder' && value !== 'peer') throw new Error(`--target is decoder or peer, got ${value ?? 'nothing'}`);
      out.targets = [value];
    } else throw new Error(`unknown option ${flag}`);
  }
  return out;
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

function print(report: FuzzReport, targets: readonly Target[]): void {
  const secs = report.ms / 1000;
  console.log(`cases run: ${report.cases.toLocaleString('en-US')} (each fed to the ${targets.join(' and the ')}), ${mib(report.inputBytes)} of input`);
  for (const [key, n] of Object.entries(report.tally).sort()) console.log(`  ${key}: ${n.toLocaleString('en-US')}`);
  if (report.heap)
    console.log(
      `heap + external memory after GC: ${mib(report.heap.start)} once warm, ${mib(report.heap.end)} at the end (bound +${mib(report.heap.bound)}, per process)`,
    );
  console.log(`failures: ${report.failureCount}`);
  for (const [kind, n] of report.kinds) console.log(`  ${kind}: ${n}`);
  for (const f of report.failures) {
    console.log(`\nFAILURE ${f.target}: ${f.kind}`);
    console.log(`  ${f.detail.split('\n').join('\n  ')}`);
    if (f.caseIndex >= 0) {
      console.log(`  seed ${hex32(report.seed)}, case ${f.caseIndex} (case seed ${hex32(f.caseSeed)}, ${f.origin}); replay: ${f.replay}`);
      console.log(`  input shrunk from ${f.originalLength} to ${f.input.length} bytes:`);
      console.log(hexDump(f.input));
      if (f.input.length <= 512) console.log(`  hex: ${toHex(f.input)}`);
    } else console.log(`  replay: ${f.replay}`);
  }
  console.log(`\ntime: ${secs.toFixed(1)} s (${Math.round(report.cases / secs).toLocaleString('en-US')} cases/s)`);
}

/** Runs the cases in `workers` processes, each a contiguous range, and merges their reports. */
async function runInWorkers(args: Args): Promise<FuzzReport> {
  const started = performance.now();
  const children: ChildProcess[] = [];
  const killAll = () => children.forEach((c) => c.kill());
  process.once('exit', killAll);
  const done = new Array<number>(args.workers).fill(0);
  const failed = new Array<number>(args.workers).fill(0);
  let shown = 0;
  const step = 100_000;
  const reports = await Promise.all(
    Array.from({ length: args.workers }, (_, k) => {
      const first = Math.floor((k * args.count) / args.workers);
      const count = Math.floor(((k + 1) * args.count) / args.workers) - first;
      const child = fork(new URL('./worker.ts', import.meta.url), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      child.send({ seed: args.seed, count, first, targets: args.targets, heapBound: args.heapBound * 2 ** 20 });
      return new Promise<FuzzReport>((resolve, reject) => {
        child.on('message', (m: { type: string; done?: number; failures?: number; report?: FuzzReport }) => {
          if (m.type === 'report') return resolve(m.report!);
          done[k] = m.done!;
          failed[k] = m.failures!;
          const total = done.reduce((a, b) => a + b, 0);
          if (total >= shown + step) {
            shown = total - (total % step);
            console.log(`  … ${shown.toLocaleString('en-US')} cases, ${failed.reduce((a, b) => a + b, 0)} failures`);
          }
        });
        child.on('exit', (code, signal) => reject(new Error(`fuzz worker ${k} exited (${signal ?? code}) before reporting`)));
      });
    }),
  ).finally(() => process.off('exit', killAll));
  const kinds = new Map<string, number>();
  const tally: Record<string, number> = {};
  for (const r of reports) {
    for (const [kind, n] of r.kinds) kinds.set(kind, (kinds.get(kind) ?? 0) + n);
    for (const [key, n] of Object.entries(r.tally)) tally[key] = (tally[key] ?? 0) + n;
  }
  const heaps = reports.map((r) => r.heap).filter((h) => h !== null);
  return {
    seed: args.seed,
    cases: reports.reduce((n, r) => n + r.cases, 0),
    inputBytes: reports.reduce((n, r) => n + r.inputBytes, 0),
    failureCount: reports.reduce((n, r) => n + r.failureCount, 0),
    failures: reports.flatMap((r) => r.failures).slice(0, 8),
    kinds,
    tally,
    ms: performance.now() - started,
    // The largest growth of any worker.
    heap: heaps.length === 0 ? null : heaps.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a)),
  };
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  // Stack traces are most of what making an error costs, and the peer makes one for most hostile
  // frames: leave them out of a long run (a replayed case keeps them, for its report).
  if (args.caseIndex === null) Error.stackTraceLimit = 0;
  const gc = typeof (globalThis as { gc?: unknown }).gc === 'function';
  if (args.caseIndex !== null) {
    const c = makeCase(args.caseIndex, caseSeed(args.seed, args.caseIndex));
    console.log(`seed ${hex32(args.seed)}, case ${c.index} (case seed ${hex32(c.seed)}, ${c.origin}), ${c.input.length} bytes:`);
    console.log(hexDump(c.input, 4096));
    console.log(`decoder: ${JSON.stringify(c.decoder)}\npeer: ${JSON.stringify(c.peer)}\nchunk seed: ${hex32(c.chunkSeed)}`);
  } else {
    console.log(`fuzzing with seed ${hex32(args.seed)}: ${args.count.toLocaleString('en-US')} cases${gc ? '' : ' (no --expose-gc: the heap is not checked)'}`);
  }
  if (args.caseIndex === null && args.workers > 1) {
    console.log(`${args.workers} worker processes`);
    const report = await runInWorkers(args);
    print(report, args.targets);
    return report.failureCount > 0 ? 1 : 0;
  }
  const report = await runFuzz({
    seed: args.seed,
    count: args.caseIndex !== null ? 1 : args.count,
    first: args.caseIndex ?? 0,
    targets: args.targets,
    heapBound: args.heapBound * 2 ** 20,
    onProgress: (done, failures) => {
      console.log(`  … ${done.toLocaleString('en-US')} cases, ${failures} failures`);
    },
  });
  print(report, args.targets);
  return report.failureCount > 0 ? 1 : 0;
}

process.exitCode = await main();
