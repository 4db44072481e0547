// The figures of `npx --yes pnpm@10 bench:pool`: what a run holds (bench/results/pool.json), its ratios against
// the aims of the pool's issue, and its section of docs/performance.md (written by the pool bench,
// and kept by the full `npx --yes pnpm@10 bench` when it rewrites the page).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** One measured case. */
export interface PoolCase {
  readonly name: string;
  readonly inFlight: number;
  readonly rate: number;
  readonly unit: string;
}

/** Everything one run of the pool bench measured. */
export interface PoolBenchResult {
  readonly date: string;
  readonly node: string;
  /** The processor's model. */
  readonly processor: string;
  readonly cores: number;
  readonly loadAverage: { readonly start: number; readonly end: number };
  /** How many cores' worth of CPU 2 busy threads got at the start (2.0 on an idle 2-core machine). */
  readonly parallelism: number;
  /** The same, measured just before the CPU-bound cases: the ceiling of their scaling. */
  readonly cpuParallelism: number;
  /** Rounds over the cases; each case reports its best. */
  readonly rounds: number;
  readonly timeMs: number;
  readonly cases: readonly PoolCase[];
  /** Tiny jobs per second: raw postMessage, piscina (1 or 32 tasks per thread), the pool, peers without a pool; by in flight. */
  readonly tiny: {
    readonly raw64: number;
    readonly raw1: number;
    readonly piscina64: number;
    readonly piscina64c: number;
    readonly piscina1: number;
    readonly pool64: number;
    readonly pool1: number;
    readonly peers64: number;
  };
  /** CPU-bound jobs per second with 1 and 2 workers. */
  readonly cpuBound: { readonly pool1: number; readonly pool2: number; readonly piscina1: number; readonly piscina2: number };
  readonly failovers: readonly { readonly detectMs: number; readonly recoverMs: number; readonly moved: number }[];
}

/** A ratio or a time of the run, with the aim for it. */
export interface PoolFigure {
  readonly label: string;
  readonly value: string;
  readonly aim: string;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const times = (x: number) => `${x.toFixed(2)}×`;
const rate = (x: number) => Math.round(x).toLocaleString('en-US');

/** The headline figures of a run. */
export function poolFigures(r: PoolBenchResult): PoolFigure[] {
  const t = r.tiny;
  const bestPiscina = Math.max(t.piscina64, t.piscina64c);
  const scaling = r.cpuBound.pool2 / r.cpuBound.pool1;
  return [
    { label: 'pool vs piscina (tiny jobs, 64 in flight, piscina at its better setting)', value: times(t.pool64 / bestPiscina), aim: '≥ 3×' },
    { label: 'pool vs piscina (tiny jobs, 64 in flight, piscina defaults)', value: times(t.pool64 / t.piscina64), aim: '' },
    { label: 'pool vs piscina (tiny jobs, 1 in flight)', value: times(t.pool1 / t.piscina1), aim: '' },
    { label: 'pool vs raw postMessage (64 in flight)', value: times(t.pool64 / t.raw64), aim: '≥ 0.5×' },
    { label: 'pool vs Gotalk peers without a pool (64 in flight)', value: times(t.pool64 / t.peers64), aim: '' },
    {
      label: 'CPU-bound scaling, 1 → 2 workers (pool)',
      value: `${times(scaling)} (${Math.round((scaling / 2) * 100)} % of linear)`,
      aim: '≥ 1.8× (within 10 %)',
    },
    { label: 'CPU-bound scaling, 1 → 2 workers (piscina)', value: times(r.cpuBound.piscina2 / r.cpuBound.piscina1), aim: '' },
    { label: 'CPU two spinning threads got before the CPU-bound cases (the ceiling of their scaling)', value: `${r.cpuParallelism} cores`, aim: '' },
    {
      label: `failover: SIGKILL to its jobs done elsewhere (median of ${r.failovers.length})`,
      value: `${median(r.failovers.map((f) => f.recoverMs)).toFixed(1)} ms (seen gone after ${median(r.failovers.map((f) => f.detectMs)).toFixed(1)} ms)`,
      aim: '',
    },
  ];
}

/** The lines the bench prints that the issue names (`pool vs piscina: <x>×`…). */
export function headlines(r: PoolBenchResult): string[] {
  const t = r.tiny;
  return [
    `pool vs piscina: ${times(t.pool64 / Math.max(t.piscina64, t.piscina64c))}`,
    `pool vs raw postMessage: ${times(t.pool64 / t.raw64)}`,
    `CPU-bound scaling 1 → 2 workers: ${times(r.cpuBound.pool2 / r.cpuBound.pool1)}`,
    `failover: ${median(r.failovers.map((f) => f.recoverMs)).toFixed(1)} ms from SIGKILL to its jobs done elsewhere`,
  ];
}

/** The "Worker pool" section of docs/performance.md. */
export function poolSection(r: PoolBenchResult): string {
  const busy =
    Math.max(r.loadAverage.start, r.loadAverage.end) > r.cores / 2 || Math.min(r.parallelism, r.cpuParallelism) < 1.8
      ? `
The machine was shared (load average ${r.loadAverage.start} at the start, ${r.loadAverage.end} at the end, on ${r.cores} cores):
two threads spinning got ${r.parallelism} cores' worth of CPU between them at the start, and
${r.cpuParallelism} just before the CPU-bound cases (the scaling from 1 to 2 workers cannot be better
than what the machine gives). The tiny-job rates, where the coordinator thread and both workers
share what is left, move by tens of percent from run to run: compare the ratios of one run, and
rerun on an idle machine for the absolute rates.`
      : '';
  const rows = r.cases.map((c) => `| ${c.name} | ${c.inFlight} | ${rate(c.rate)} ${c.unit} |`);
  const figures = poolFigures(r).map((f) => `| ${f.label} | ${f.value} | ${f.aim} |`);
  return `## Worker pool

Measured by \`npx --yes pnpm@10 bench:pool\` (\`bench/pool.bench.ts\`) on ${r.date.slice(0, 10)}, ${r.processor}, ${r.cores} cores, Node ${r.node};
every figure is in \`bench/results/pool.json\`.${busy}

Method: one process; every case starts fresh worker threads (or, for failover, child processes),
warms up for a quarter of its time, then counts completions for ${r.timeMs} ms while N loops each
await one job after another (N = in flight). Tiny jobs are a 32-byte echo: through
\`@gotalk/pool\` over 2 threads (\`requestBytes\`, a cap of 32 jobs per thread, each thread a
Gotalk peer over its message channel, one message per batch of frames), through piscina with 2
threads (\`run()\`, with its default of 1 task per thread and with 32), through raw
\`worker_threads\` \`postMessage\` (callbacks, no promises, one message per echo each way), and
through two Gotalk peers without a pool (each loop bound to one of them: the pool's own cost is
the difference). The raw baseline is the limit of one message per job; a Gotalk peer writes all
the frames of a tick as one message (about 30 jobs per message at 64 in flight), which is how
the pool passes it. The CPU-bound job is \`crunch\` of \`examples/workers\` (about 5 ms), 4 in flight per worker, with 1
and 2 workers. Failover: 2 worker processes under load (8 loops of 5 ms jobs, declared
repeatable), one SIGKILLed; measured from the kill to the pool seeing the worker gone (its
connection closed) and to the last of its jobs completed on the other worker.

| case | in flight | rate |
| --- | ---: | ---: |
${rows.join('\n')}

| figure | measured | aim |
| --- | ---: | --- |
${figures.join('\n')}
`;
}

/** Rewrites the pool section of the page at `doc` (or appends it): from its heading to the next heading of its level. */
export function writePoolSection(doc: URL, r: PoolBenchResult): void {
  const page = readFileSync(doc, 'utf8');
  writeFileSync(doc, withPoolSection(page, poolSection(r)));
}

/** `page` with `section` in place of its "## Worker pool" section, or at its end. */
export function withPoolSection(page: string, section: string): string {
  const start = page.indexOf('\n## Worker pool\n');
  if (start < 0) return `${page.trimEnd()}\n\n${section}`;
  const next = page.indexOf('\n## ', start + 1);
  return `${page.slice(0, start + 1)}${section}${next < 0 ? '' : page.slice(next)}`;
}

/** The pool section of the last pool run (bench/results/pool.json), or '' before any. */
export function lastPoolSection(): string {
  const file = new URL('../results/pool.json', import.meta.url);
  return existsSync(file) ? poolSection(JSON.parse(readFileSync(file, 'utf8')) as PoolBenchResult) : '';
}
