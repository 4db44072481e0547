// Method: in one process, each case on fresh worker threads (or child processes for failover), warmed up for time/4, then completions counted for `--time=ms` (default 1000), best of `--rounds=N` (default 3) with N loops of sequential awaits (N = in flight): tiny jobs (a 32-byte echo) through @gotalk/pool over 2 threads, piscina with 2 threads, raw worker_threads postMessage (callbacks, no promises) and Gotalk peers without a pool; a CPU-bound job (~5 ms) with 1 and 2 workers; failover: SIGKILL of one of 2 worker processes under load, to the completion elsewhere of the jobs it had. Writes bench/results/pool.json and the pool section of docs/performance.md. Measures and prints; never fails.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { spawnProcess, spawnWorker, type Peer, type SpawnedPeer } from '@gotalk/node';
import { Pool } from '@gotalk/pool';
import type { ChildProcess } from 'node:child_process';
import { FIVE_MS } from '../examples/workers/crunch.ts';
import { benchTime, printAligned } from './micro.ts';
import { headlines, poolFigures, writePoolSection, type PoolBenchResult, type PoolCase } from './pool/report.ts';

// --render: rewrite the doc's section from the last run's figures, measuring nothing.
if (process.argv.includes('--render')) {
  const last = JSON.parse(readFileSync(new URL('./results/pool.json', import.meta.url), 'utf8')) as PoolBenchResult;
  writePoolSection(new URL('../docs/performance.md', import.meta.url), last);
  process.exit(0);
}

const { timeMs: TIME_MS, warmupMs: WARMUP_MS } = benchTime(1000);
const WORKER = new URL('./pool/gotalk-worker.ts', import.meta.url);
const PISCINA_WORKER = new URL('./pool/piscina-worker.mjs', import.meta.url);
const RAW_WORKER = new URL('./pool/raw-worker.mjs', import.meta.url);
const PAYLOAD = new Uint8Array(32).fill(0x61);
const FAILOVER_RUNS = 3;
const workerPeer = { heartbeatInterval: 1000, loader: 'tsx' } as const;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `inFlight` loops of `call` (given its loop's number) for `ms`; the rate of calls completed. */
async function loops(ms: number, inFlight: number, call: (loop: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  const end = start + ms;
  let count = 0;
  const loop = async (_: unknown, i: number) => {
    while (performance.now() < end) {
      await call(i);
      count++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return (count * 1000) / (performance.now() - start);
}

/** Warm-up, then the measured run. */
async function measure(inFlight: number, call: (loop: number) => Promise<unknown>): Promise<number> {
  await loops(WARMUP_MS, inFlight, call);
  return loops(TIME_MS, inFlight, call);
}

/** Each case's best round. */
const cases: PoolCase[] = [];

// ----- tiny jobs -----

/** Raw postMessage: each thread keeps its share of messages in flight, posting one back as each returns. */
async function rawEcho(threads: number, inFlight: number): Promise<number> {
  const workers = Array.from({ length: threads }, () => new Worker(RAW_WORKER));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('online', resolve))));
  const run = (ms: number) =>
    new Promise<number>((resolve) => {
      const start = performance.now();
      const end = start + ms;
      let count = 0;
      let open = inFlight;
      for (const [i, w] of workers.entries()) {
        const share = Math.floor(inFlight / threads) + (i < inFlight % threads ? 1 : 0);
        const onMessage = (message: Uint8Array) => {
          count++;
          if (performance.now() < end) return w.postMessage(message);
          if (--open === 0) resolve((count * 1000) / (performance.now() - start));
        };
        w.removeAllListeners('message');
        w.on('message', onMessage);
        for (let k = 0; k < share; k++) w.postMessage(PAYLOAD.slice());
      }
    });
  await run(WARMUP_MS);
  const rate = await run(TIME_MS);
  await Promise.all(workers.map((w) => w.terminate()));
  return rate;
}

async function piscinaRun<T>(threads: number, inFlight: number, perWorker: number, task: () => T): Promise<number> {
  const pool = new Piscina({
    filename: PISCINA_WORKER.href,
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: perWorker,
    idleTimeout: 60_000,
  });
  try {
    return await measure(inFlight, () => pool.run(task()));
  } finally {
    await pool.destroy();
  }
}

/** A pool of `threads` Gotalk worker threads, each with cap `concurrency`. */
async function threadPool(threads: number, concurrency: number): Promise<Pool> {
  const pool = new Pool({ concurrency, repeatable: ['crunch'] });
  await Promise.all(Array.from({ length: threads }, (_, i) => pool.start(() => spawnWorker(WORKER, workerPeer), { name: `thread-${i + 1}`, restart: false })));
  return pool;
}

async function poolRun(threads: number, concurrency: number, inFlight: number, call: (pool: Pool) => Promise<unknown>): Promise<number> {
  const pool = await threadPool(threads, concurrency);
  try {
    return await measure(inFlight, () => call(pool));
  } finally {
    await pool.close();
  }
}

/**
 * Gotalk peers over the same threads, no pool: each loop bound to one peer (dealing requests
 * round robin instead splits every batch of replies in two, and measures half the rate).
 */
async function peersRun(threads: number, inFlight: number): Promise<number> {
  const peers: Peer[] = await Promise.all(Array.from({ length: threads }, () => spawnWorker(WORKER, workerPeer)));
  try {
    return await measure(inFlight, (loop) => peers[loop % threads]!.requestBytes('echo', PAYLOAD));
  } finally {
    await Promise.all(peers.map((p) => p.close()));
  }
}

// ----- failover -----

interface FailoverRun {
  /** ms from the SIGKILL to the pool seeing the worker gone. */
  readonly detectMs: number;
  /** ms from the SIGKILL to the last of its jobs completed on the other worker. */
  readonly recoverMs: number;
  readonly moved: number;
}

/** Two worker processes under load (8 loops of 5 ms jobs); one is SIGKILLed. */
async function failoverRun(): Promise<FailoverRun> {
  const pool = new Pool({ concurrency: 2, repeatable: ['crunch'], requestTimeout: 0 });
  const processes: SpawnedPeer<ChildProcess>[] = [];
  for (let i = 1; i <= 2; i++) {
    await pool.start(
      async () => {
        const started = await spawnProcess(WORKER, workerPeer);
        processes.push(started);
        return started;
      },
      { name: `process-${i}`, restart: false },
    );
  }
  let stop = false;
  let id = 0;
  const loop = async () => {
    while (!stop) await pool.request('crunch', { id: id++, rounds: FIVE_MS });
  };
  const running = Array.from({ length: 8 }, loop);
  await delay(Math.max(300, WARMUP_MS));
  const moved = new Set<number>();
  let movedCount = 0;
  let detectedAt = 0;
  let lastDone = 0;
  pool.on('leave', () => (detectedAt ||= performance.now()));
  pool.on('failover', (e) => {
    moved.add(e.job.id);
    movedCount++;
  });
  pool.on('settle', (e) => {
    if (moved.delete(e.job.id)) lastDone = performance.now();
  });
  const killedAt = performance.now();
  void processes[0]!.kill(); // SIGKILL
  while (detectedAt === 0 || moved.size > 0) await delay(1);
  stop = true;
  await Promise.all(running);
  await pool.close();
  return { detectMs: detectedAt - killedAt, recoverMs: (lastDone || detectedAt) - killedAt, moved: movedCount };
}

// ----- the run -----

/** How much of 2 cores 2 busy threads get here now (2.0 on an idle 2-core machine): the ceiling of any scaling. */
async function parallelism(): Promise<number> {
  const spin = `const t = performance.now(); let x = 1; while (performance.now() - t < 400) x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d); require('node:worker_threads').parentPort.postMessage(x);`;
  const before = process.cpuUsage();
  const start = performance.now();
  await Promise.all([0, 1].map(() => new Promise((resolve) => new Worker(spin, { eval: true }).once('message', resolve))));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / (performance.now() - start);
}

interface Plan {
  readonly key: string;
  readonly name: string;
  readonly inFlight: number;
  readonly unit: string;
  readonly run: () => Promise<number>;
}

const arg = process.argv.find((a) => a.startsWith('--rounds='));
const ROUNDS = Math.max(1, Number(arg?.slice('--rounds='.length)) || 3);
const cpuJob = () => ({ id: 1, rounds: FIVE_MS });
const tinyPlan: Plan[] = [
  { key: 'raw64', name: 'raw postMessage', inFlight: 64, unit: 'msg/s', run: () => rawEcho(2, 64) },
  { key: 'raw1', name: 'raw postMessage', inFlight: 1, unit: 'msg/s', run: () => rawEcho(2, 1) },
  { key: 'piscina64', name: 'piscina (1 task per thread, its default)', inFlight: 64, unit: 'jobs/s', run: () => piscinaRun(2, 64, 1, () => PAYLOAD) },
  { key: 'piscina64c', name: 'piscina (32 tasks per thread)', inFlight: 64, unit: 'jobs/s', run: () => piscinaRun(2, 64, 32, () => PAYLOAD) },
  { key: 'piscina1', name: 'piscina (1 task per thread, its default)', inFlight: 1, unit: 'jobs/s', run: () => piscinaRun(2, 1, 1, () => PAYLOAD) },
  {
    key: 'pool64',
    name: '@gotalk/pool (cap 32 per thread)',
    inFlight: 64,
    unit: 'jobs/s',
    run: () => poolRun(2, 32, 64, (p) => p.requestBytes('echo', PAYLOAD)),
  },
  { key: 'pool1', name: '@gotalk/pool (cap 32 per thread)', inFlight: 1, unit: 'jobs/s', run: () => poolRun(2, 32, 1, (p) => p.requestBytes('echo', PAYLOAD)) },
  { key: 'peers64', name: 'Gotalk peers without a pool (32 loops per peer)', inFlight: 64, unit: 'req/s', run: () => peersRun(2, 64) },
];
const cpuPlan: Plan[] = [
  { key: 'pool1', name: '@gotalk/pool, 1 thread', inFlight: 4, unit: 'jobs/s', run: () => poolRun(1, 2, 4, (p) => p.request('crunch', cpuJob())) },
  { key: 'pool2', name: '@gotalk/pool, 2 threads', inFlight: 8, unit: 'jobs/s', run: () => poolRun(2, 2, 8, (p) => p.request('crunch', cpuJob())) },
  { key: 'piscina1', name: 'piscina, 1 thread', inFlight: 4, unit: 'jobs/s', run: () => piscinaRun(1, 4, 1, cpuJob) },
  { key: 'piscina2', name: 'piscina, 2 threads', inFlight: 8, unit: 'jobs/s', run: () => piscinaRun(2, 8, 1, cpuJob) },
];

/** Runs every case of `plan` once per round, the cases taking turns (so that a busy spell of the machine hits them alike); the best round of each. */
async function runPlan(plan: readonly Plan[]): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of plan) {
      const r = await c.run();
      best[c.key] = Math.max(best[c.key] ?? 0, r);
      console.log(`  round ${round}: ${c.name}, ${c.inFlight} in flight: ${Math.round(r).toLocaleString('en-US')} ${c.unit}`);
    }
  }
  for (const c of plan) cases.push({ name: c.name, inFlight: c.inFlight, rate: best[c.key]!, unit: c.unit });
  return best;
}

const load = os.loadavg()[0]!;
const cores = await parallelism();
console.log(
  `pool benchmark: node ${process.version}, ${os.cpus().length} cores (2 busy threads get ${cores.toFixed(2)} of them now), load average ${load.toFixed(2)}`,
);
console.log(`${ROUNDS} rounds of ${TIME_MS} ms per case after ${WARMUP_MS} ms warm-up; each case's best round counts`);
console.log('');
console.log('tiny jobs (32-byte echo), 2 worker threads:');
const rate = (await runPlan(tinyPlan)) as unknown as PoolBenchResult['tiny'];
console.log('');
const cpuCores = await parallelism();
console.log(`CPU-bound job (${FIVE_MS.toLocaleString('en-US')} rounds, about 5 ms; 2 busy threads get ${cpuCores.toFixed(2)} cores now):`);
const cpuRates = (await runPlan(cpuPlan)) as unknown as PoolBenchResult['cpuBound'];

console.log('');
console.log(`failover (2 worker processes, 8 loops of 5 ms jobs, one SIGKILLed; ${FAILOVER_RUNS} runs):`);
const failovers: FailoverRun[] = [];
for (let i = 0; i < FAILOVER_RUNS; i++) {
  const f = await failoverRun();
  failovers.push(f);
  console.log(`  run ${i + 1}: gone after ${f.detectMs.toFixed(1)} ms, its ${f.moved} jobs done elsewhere after ${f.recoverMs.toFixed(1)} ms`);
}

const result: PoolBenchResult = {
  date: new Date().toISOString(),
  node: process.version,
  processor: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  loadAverage: { start: Number(load.toFixed(2)), end: Number(os.loadavg()[0]!.toFixed(2)) },
  parallelism: Number(cores.toFixed(2)),
  cpuParallelism: Number(cpuCores.toFixed(2)),
  rounds: ROUNDS,
  timeMs: TIME_MS,
  cases,
  tiny: rate,
  cpuBound: cpuRates,
  failovers,
};
const figures = poolFigures(result);
console.log('');
printAligned(
  ['ratio', 'measured', 'aim'],
  figures.map((f) => [f.label, f.value, f.aim]),
  [false, true, false],
);
console.log('');
for (const line of headlines(result)) console.log(line);
writeFileSync(new URL('./results/pool.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
if (!process.argv.includes('--no-doc')) writePoolSection(new URL('../docs/performance.md', import.meta.url), result);
