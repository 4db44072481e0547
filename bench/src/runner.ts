import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Impl, Transport } from './clients/index.ts';
import { int, mb, ms } from './format.ts';
import type { Job } from './jobs.ts';
import { plan } from './plan.ts';
import { Child, killAll } from './procs.ts';
import { failed, type Measurements, type Outcome } from './results.ts';
import type { Settings } from './settings.ts';
import { sleep } from './stats.ts';

const START_TIMEOUT = 30_000;
/** Slack on top of a case's own time: process start, connecting, warming up, draining. */
const SLACK = 25_000;

/** The servers, each in its own process, and what is measured against each. */
const FAMILIES: readonly { script: string; name: string; kind: 'raw' | 'gotalk' | null; impls: Impl[]; transports: Transport[] }[] = [
  { script: 'servers/raw-net.ts', name: 'raw net', kind: 'raw', impls: ['raw'], transports: ['tcp', 'unix'] },
  { script: 'servers/gotalk.ts', name: 'gotalk', kind: 'gotalk', impls: ['gotalk bytes', 'gotalk json'], transports: ['tcp', 'unix', 'ws'] },
  { script: 'servers/raw-ws.ts', name: 'raw ws', kind: null, impls: ['raw'], transports: ['ws'] },
  { script: 'servers/birpc.ts', name: 'birpc', kind: null, impls: ['birpc'], transports: ['ws'] },
  { script: 'servers/json-rpc.ts', name: 'json-rpc-2.0', kind: null, impls: ['json-rpc-2.0'], transports: ['ws'] },
  { script: 'servers/socket-io.ts', name: 'socket.io', kind: null, impls: ['socket.io'], transports: ['ws'] },
];

function reasonOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 120);
}

/** A running server process and the addresses it listens on. */
interface Running {
  readonly child: Child;
  readonly addresses: Record<string, string>;
}

let started = 0;

async function startServer(script: string, parent: string): Promise<Running> {
  // A directory of its own for each server's Unix sockets: a killed server leaves its files.
  const dir = join(parent, String(++started));
  mkdirSync(dir);
  const child = new Child(script, [dir]);
  try {
    const ready = await child.expect('ready', START_TIMEOUT);
    return { child, addresses: ready['addresses'] as Record<string, string> };
  } catch (err) {
    await child.kill();
    throw err;
  }
}

/**
 * Runs a client job; `onResult` gets each `result`/`failed` message. Each message must come
 * within `budgetMs` of the previous one, or the client is killed and the job fails.
 */
async function runClient(job: Job, budgetMs: number, onResult: (id: string, outcome: Outcome<unknown>) => void): Promise<void> {
  const child = new Child('client.ts', [JSON.stringify(job)]);
  try {
    for (;;) {
      const m = await child.next(budgetMs, 'a result');
      if (m.type === 'done') return;
      if (m.type === 'error') throw new Error(String(m['message']));
      if (m.type === 'result') onResult(String(m['id']), { ok: true, value: m['result'] });
      else if (m.type === 'failed') onResult(String(m['id']), failed(String(m['message'])));
    }
  } finally {
    await child.kill();
  }
}

interface Row {
  readonly id: string;
  readonly samples: number[];
  outcome: Outcome<unknown>;
}

/** Keeps a row's best round (by `score`, higher is better) and every round's score. */
function record<T>(row: Row, outcome: Outcome<T>, score: (v: T) => number, show: (v: T) => string, round: string): void {
  if (outcome.ok) {
    const v = score(outcome.value);
    row.samples.push(v);
    if (!row.outcome.ok || v > score(row.outcome.value as T)) row.outcome = outcome;
  } else if (!row.outcome.ok) {
    row.outcome = outcome;
  }
  process.stdout.write(`  ${round}${row.id.padEnd(34)} ${outcome.ok ? show(outcome.value) : `n/a (${outcome.reason})`}\n`);
}

const tried = (r: Row) => !r.outcome.ok && r.outcome.reason !== 'not run';

interface EchoFigures {
  reqPerSec: number;
  p50Ms: number;
}
const echoShow = (v: EchoFigures) => `${int(v.reqPerSec)} req/s, p50 ${ms(v.p50Ms)} ms`;

/**
 * Runs every case of the plan: all servers up at once, each in its own process, then `rounds`
 * passes over the cases (a client process per implementation and transport), so that each
 * case's rounds are spread over the run and it can report its least disturbed one. Then the
 * idle-connection measurements, each with a fresh server. Kills every process at the end.
 */
export async function runAll(s: Settings): Promise<Measurements> {
  const dir = mkdtempSync(join(tmpdir(), 'gotalk-bench-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const m = plan(s);
  const servers = new Map<string, Running>();
  const rowsOf = (f: (typeof FAMILIES)[number]): Row[] => [
    ...m.echo.filter((r) => f.impls.includes(r.impl) && f.transports.includes(r.transport)),
    ...(f.kind ? [...m.stream.filter((r) => r.impl === f.kind), ...m.connect.filter((r) => r.impl === f.kind)] : []),
  ];
  try {
    for (const f of FAMILIES) {
      const rows = rowsOf(f);
      if (rows.length === 0) continue;
      try {
        servers.set(f.script, await startServer(f.script, dir));
      } catch (err) {
        const reason = `${f.name} server: ${reasonOf(err)}`;
        for (const r of rows) r.outcome = failed(reason);
        process.stdout.write(`  ${f.name}: n/a (${reason})\n`);
      }
    }
    for (let round = 1; round <= s.rounds; round++) {
      const tag = s.rounds > 1 ? `[${round}/${s.rounds}] ` : '';
      // Transport by transport, so that the raw baseline and the others it is compared with run close together.
      for (const transport of ['tcp', 'unix', 'ws'] as const) {
        for (const f of FAMILIES) {
          const server = servers.get(f.script);
          if (server && f.transports.includes(transport)) for (const impl of f.impls) await echoJob(s, m, server, impl, transport, tag);
        }
      }
      for (const f of FAMILIES) {
        const server = servers.get(f.script);
        if (server && f.kind) await otherJobs(s, m, server, f.kind, tag);
      }
    }
    for (const server of servers.values()) await server.child.kill();
    if (m.idle.length > 0) process.stdout.write('idle connections\n');
    for (const row of m.idle) {
      const script = row.impl === 'raw' ? 'servers/raw-net.ts' : 'servers/gotalk.ts';
      let server: Running | undefined;
      try {
        server = await startServer(script, dir);
        const value = await measureIdle(server, row.impl, s.idleConnections);
        record(
          row,
          { ok: true, value },
          (v) => v.heapPerConnection,
          (v) => `${int(v.heapPerConnection)} B heap per connection`,
          '',
        );
      } catch (err) {
        record(
          row,
          failed(reasonOf(err)),
          () => 0,
          () => '',
          '',
        );
      } finally {
        await server?.child.kill();
      }
    }
  } finally {
    await killAll();
    removeDir();
  }
  return m;
}

/** One client process running every echo case of one implementation over one transport. */
async function echoJob(s: Settings, m: Measurements, server: Running, impl: Impl, transport: Transport, tag: string): Promise<void> {
  // A case that failed in an earlier round and never succeeded is not tried again.
  const rows = m.echo.filter((r) => r.impl === impl && r.transport === transport && !tried(r));
  if (rows.length === 0) return;
  const address = server.addresses[transport];
  if (!address) {
    for (const r of rows)
      record(
        r,
        failed(`no ${transport} address`),
        () => 0,
        () => '',
        tag,
      );
    return;
  }
  const job: Job = {
    kind: 'echo',
    impl,
    transport,
    address,
    cases: rows.map((r) => ({ id: r.id, size: r.size, inflight: r.inflight })),
    warmupMs: s.warmupMs,
    timeMs: s.timeMs,
  };
  const seen = new Set<string>();
  try {
    await runClient(job, s.warmupMs * 2 + s.timeMs + SLACK, (id, outcome) => {
      const row = rows.find((r) => r.id === id);
      if (!row) return;
      seen.add(id);
      record(row, outcome as Outcome<EchoFigures>, (v) => v.reqPerSec, echoShow, tag);
    });
  } catch (err) {
    for (const r of rows)
      if (!seen.has(r.id))
        record(
          r,
          failed(reasonOf(err)),
          () => 0,
          () => '',
          tag,
        );
  }
}

/** The stream and connect cases against a raw or Gotalk server. */
async function otherJobs(s: Settings, m: Measurements, server: Running, kind: 'raw' | 'gotalk', tag: string): Promise<void> {
  const one = async <T>(job: Job, budget: number, row: Row, score: (v: T) => number, show: (v: T) => string) => {
    let outcome: Outcome<T> = failed('no result');
    try {
      await runClient(job, budget, (_, o) => (outcome = o as Outcome<T>));
    } catch (err) {
      outcome = failed(reasonOf(err));
    }
    record(row, outcome, score, show, tag);
  };
  for (const row of m.stream.filter((r) => r.impl === kind)) {
    const address = server.addresses[kind === 'raw' ? `${row.transport}Pipe` : row.transport]!;
    const job: Job = { kind: 'stream', id: row.id, impl: kind, address, warmupMs: s.warmupMs, timeMs: s.timeMs };
    await one(
      job,
      s.warmupMs + s.timeMs + SLACK,
      row,
      (v: { mbPerSec: number }) => v.mbPerSec,
      (v) => `${mb(v.mbPerSec)} MB/s`,
    );
  }
  for (const row of m.connect.filter((r) => r.impl === kind)) {
    const job: Job = { kind: 'connect', id: row.id, impl: kind, address: server.addresses['tcp']!, warmupMs: 100, timeMs: s.connectMs, max: s.connectMax };
    await one(
      job,
      s.connectMs + SLACK,
      row,
      (v: { perSec: number }) => v.perSec,
      (v) => `${int(v.perSec)} connections/s`,
    );
  }
}

/** Server heap after GC before and after `count` clients (another process) connect and sit idle. */
async function measureIdle(server: Running, impl: 'raw' | 'gotalk', count: number) {
  const job: Job = { kind: 'idle', impl, address: server.addresses['tcp']!, count, warm: 20 };
  const client = new Child('client.ts', [JSON.stringify(job)]);
  try {
    await client.expect('warmed', START_TIMEOUT);
    await waitForConnections(server, 0);
    const before = await server.child.ask({ type: 'heap' }, 'heap');
    client.send({ type: 'open' });
    await client.expect('opened', 60_000);
    await waitForConnections(server, count);
    await sleep(300);
    const after = await server.child.ask({ type: 'heap' }, 'heap');
    const n = Number(after['connections']);
    if (n !== count) throw new Error(`the server holds ${n} connections, not ${count}`);
    client.send({ type: 'close' });
    await client.expect('closed', 30_000).catch(() => {});
    const heapBefore = Number(before['heapUsed']);
    const heapAfter = Number(after['heapUsed']);
    return {
      connections: n,
      heapPerConnection: (heapAfter - heapBefore) / n,
      externalPerConnection: (Number(after['external']) - Number(before['external'])) / n,
      heapBefore,
      heapAfter,
    };
  } finally {
    await client.kill();
  }
}

async function waitForConnections(server: Running, count: number): Promise<void> {
  const until = performance.now() + 15_000;
  for (;;) {
    const m = await server.child.ask({ type: 'count' }, 'count');
    if (Number(m['connections']) === count) return;
    if (performance.now() > until) throw new Error(`the server holds ${String(m['connections'])} connections, waiting for ${count}`);
    await sleep(50);
  }
}
