// A coordinator: runs CPU-bound jobs (`crunch`, about 5 ms each) on a pool of worker threads
// and child processes it starts (and starts again if they die), plus any remote workers that
// dial its TCP address. A Unix admin socket serves the pool's figures and outstanding jobs:
//
//   npx --yes pnpm@10 example:workers -- [--threads N] [--processes N] [--remote N] [--jobs N]
//                                        [--kill-one] [--listen ADDRESS] [--linger MS]
//   npx --yes pnpm@10 gotalk call unix:<admin socket> figures      (or jobs, or stop)
//
// --kill-one SIGKILLs one worker process once a third of the jobs are done: its jobs, declared
// safe to repeat, run again elsewhere. --remote N starts N workers that dial in over TCP, as
// workers on other machines would. --linger keeps the admin socket up that long after the jobs
// (or until its `stop` op, SIGTERM or SIGINT).
// The last line says what became of the jobs; the exit code is 1 if any was lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Handlers, listen, spawnProcess, spawnWorker, type CloseInfo, type SpawnedPeer } from '@gotalk/node';
import { Pool } from '@gotalk/pool';
import { FIVE_MS } from './crunch.ts';

const WORKER = new URL('./worker.ts', import.meta.url);

/** The command line, with its defaults. */
function options(argv: readonly string[]) {
  const o = { threads: 2, processes: 1, remote: 0, jobs: 300, rounds: FIVE_MS, killOne: false, listen: 'tcp://127.0.0.1:0', linger: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const count = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) throw new Error(`${arg} takes a whole number`);
      return n;
    };
    if (arg === '--threads') o.threads = count();
    else if (arg === '--processes') o.processes = count();
    else if (arg === '--remote') o.remote = count();
    else if (arg === '--jobs') o.jobs = count();
    else if (arg === '--rounds') o.rounds = count();
    else if (arg === '--linger') o.linger = count();
    else if (arg === '--listen') o.listen = value();
    else if (arg === '--kill-one') o.killOne = true;
    else if (arg !== '--') throw new Error(`unknown option ${arg}`);
  }
  if (o.killOne && o.processes === 0) throw new Error('--kill-one needs at least one process (--processes 1)');
  return o;
}

const o = options(process.argv.slice(2));
const describe = (info: CloseInfo | null) => (info === null ? 'removed' : info.error ? `${info.reason}: ${info.error.message}` : info.reason);

// Completions the workers report (`done` notifications), by job id: more than one would be a job run twice.
const completions = new Map<number, number>();
const handlers = new Handlers();
handlers.onNotification('done', (id) => void completions.set(id as number, (completions.get(id as number) ?? 0) + 1));
const peerOptions = { handlers, heartbeatInterval: 1000 };
const spawnOptions = { ...peerOptions, loader: 'tsx' } as const; // the worker is TypeScript

// Jobs in flight to a worker at once: 2, so that a worker always has its next job at hand.
const pool = new Pool({ concurrency: 2, repeatable: ['crunch'], maxQueue: Math.max(1024, o.jobs), requestTimeout: 120_000 });
pool.on('leave', ({ member, info }) => console.log(`worker ${member.name} left (${describe(info)})`));
pool.on('restart', ({ name, attempt, delay }) => console.log(`starting ${name} again in ${delay} ms (attempt ${attempt})`));

// The workers this coordinator starts: threads, then processes (kept by name for --kill-one).
const processes = new Map<string, SpawnedPeer<ChildProcess>>();
const starting: Promise<unknown>[] = [];
const restart = { minDelay: 50, maxDelay: 1000 };
for (let i = 1; i <= o.threads; i++) starting.push(pool.start(() => spawnWorker(WORKER, spawnOptions), { name: `thread-${i}`, restart }));
for (let i = 1; i <= o.processes; i++) {
  const name = `process-${i}`;
  const factory = async () => {
    const peer = await spawnProcess(WORKER, spawnOptions);
    processes.set(name, peer);
    void peer.exited.then(({ signal }) => signal && console.log(`${name} (pid ${peer.worker.pid}) was killed by ${signal}`));
    return peer;
  };
  starting.push(pool.start(factory, { name, restart }));
}

// Remote workers: anything that dials this address joins the pool.
const server = await listen(o.listen, { ...peerOptions, handlers });
let remotes = 0;
pool.feed(server, { name: () => `remote-${++remotes}` });
const address = server.addresses[0]!;

// The admin socket, in a private temporary directory.
const adminDir = mkdtempSync(join(tmpdir(), 'gotalk-workers-'));
process.on('exit', () => rmSync(adminDir, { recursive: true, force: true })); // however the program ends
let stopLingering: (() => void) | null = null;
const stop = () => (stopLingering ? stopLingering() : process.exit(130));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
const adminAddress = `unix:${join(adminDir, 'admin.sock')}`;
const admin = await listen(adminAddress);
admin.handlers
  .handle('figures', () => pool.figures())
  .handle('jobs', () => pool.jobs())
  .handle('stop', () => void stopLingering?.());

const remoteChildren: ChildProcess[] = [];
for (let i = 0; i < o.remote; i++) {
  remoteChildren.push(spawn(process.execPath, [...process.execArgv, fileURLToPath(WORKER), '--connect', address], { stdio: ['ignore', 'inherit', 'inherit'] }));
}
await Promise.all(starting);
const joinedRemotes = () => pool.members.filter((m) => m.name.startsWith('remote-') && m.state === 'open').length;
if (joinedRemotes() < o.remote) {
  await new Promise<void>((resolve) => {
    const off = pool.on('join', () => joinedRemotes() >= o.remote && (off(), resolve()));
  });
}

console.log(`workers: ${o.threads} threads, ${o.processes} processes, ${o.remote} remote; more may join at ${address}`);
console.log(`admin: ${adminAddress} (npx --yes pnpm@10 gotalk call ${adminAddress} figures)`);

// The jobs, all submitted at once: the pool queues what its workers cannot take yet.
const started = performance.now();
const answered = new Map<number, number>();
let done = 0;
let killed = false;
const results = Array.from({ length: o.jobs }, (_, id) =>
  pool.request('crunch', { id, rounds: o.rounds }).then((value) => {
    const answer = value as { id: number; result: number };
    answered.set(answer.id, (answered.get(answer.id) ?? 0) + 1);
    done++;
    if (done % Math.max(1, Math.floor(o.jobs / 4)) === 0) console.log(`${done} of ${o.jobs} jobs done`);
    if (o.killOne && !killed && done >= o.jobs / 3) killed = killOne();
  }),
);

/** SIGKILLs the first process worker that has jobs running. */
function killOne(): boolean {
  const victim = pool.members.find((m) => m.name.startsWith('process-') && m.running > 0 && processes.get(m.name)?.worker.exitCode === null);
  if (!victim) return false;
  const peer = processes.get(victim.name)!;
  console.log(`killing ${victim.name} (pid ${peer.worker.pid}) with ${victim.running} jobs running`);
  void peer.kill(); // SIGKILL
  return true;
}

const settled = await Promise.allSettled(results);
const seconds = (performance.now() - started) / 1000;
const failed = settled.filter((r) => r.status === 'rejected');
for (const f of failed.slice(0, 5)) console.log(`a job failed: ${(f as PromiseRejectedResult).reason}`);

const figures = pool.figures();
const ms = (n: number) => n.toFixed(1);
console.log(
  `${o.jobs} jobs in ${seconds.toFixed(2)} s (${Math.round(o.jobs / seconds)} jobs/s); run time p50 ${ms(figures.runTime.p50)} ms, p99 ${ms(figures.runTime.p99)} ms; wait p50 ${ms(figures.waitTime.p50)} ms`,
);
for (const w of figures.workers) console.log(`  ${w.name}: ${w.completed} completed, utilization ${Math.round(w.utilization * 100)} %`);

if (o.linger > 0) {
  console.log(`lingering ${o.linger} ms`);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, o.linger);
    stopLingering = () => (clearTimeout(timer), resolve());
  });
}

await pool.close();
for (const c of remoteChildren) c.kill('SIGTERM');
await Promise.all([server.close(), admin.close()]);

const lost = o.jobs - answered.size;
const duplicated = [...completions.values()].filter((n) => n > 1).length + [...answered.values()].filter((n) => n > 1).length;
console.log(`jobs: ${answered.size} done, ${lost} lost, ${duplicated} duplicated, ${figures.failovers} failed over`);
process.exitCode = lost > 0 ? 1 : 0;
