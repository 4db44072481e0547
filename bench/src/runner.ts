import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMPLS, type Impl, type Transport } from './clients/index.ts';
import type { Job } from './jobs.ts';
import { Child, killAll } from './procs.ts';
import { failed, pending, type EchoRow, type Measurements, type Outcome } from './results.ts';
import type { Settings } from './settings.ts';
import { sleep } from './stats.ts';

const START_TIMEOUT = 30_000;
/** Slack on top of a case's own time: process start, connecting, the first echo, draining. */
const SLACK = 25_000;

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
 * within `budgetMs` of the previous one, or the client is killed and the rest reported as a timeout.
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

function label(row: { transport?: string; impl: string; size?: number; inflight?: number }): string {
  return [row.transport, row.impl, row.size !== undefined ? `${row.size} B` : '', row.inflight !== undefined ? `×${row.inflight}` : ''].filter(Boolean).join(' ');
}

function progress(what: string, outcome: Outcome<unknown>, figure: (v: never) => string): void {
  process.stdout.write(`  ${what.padEnd(34)} ${outcome.ok ? figure(outcome.value as never) : `n/a (${outcome.reason})`}\n`);
}

/** Runs every case of the plan, each server and client in its own process, and kills them all at the end. */
export async function runAll(s: Settings): Promise<Measurements> {
  const dir = mkdtempSync(join(tmpdir(), 'gotalk-bench-'));
  const m: Measurements = { echo: [], stream: [], connect: [], idle: [] };
  const transports: Transport[] = ['tcp', 'unix', 'ws'];
  for (const transport of transports) {
    for (const impl of Object.keys(IMPLS) as Impl[]) {
      if (transport !== 'ws' && IMPLS[impl].server === null) continue;
      for (const size of s.sizes) for (const inflight of s.inflight) m.echo.push({ transport, impl, size, inflight, outcome: pending() });
    }
  }
  for (const transport of s.streamTransports) for (const impl of ['raw', 'gotalk'] as const) m.stream.push({ transport, impl, outcome: pending() });
  for (const impl of ['raw', 'gotalk'] as const) m.connect.push({ impl, outcome: pending() });
  for (const impl of ['raw', 'gotalk'] as const) m.idle.push({ impl, outcome: pending() });

  const echoBudget = s.warmupMs + s.timeMs + SLACK;
  const runEcho = async (server: Running, impl: Impl, transport: Transport) => {
    const rows = m.echo.filter((r) => r.impl === impl && r.transport === transport);
    const ids = new Map<string, EchoRow>(rows.map((r) => [label(r), r]));
    const address = server.addresses[transport];
    if (!address) return rows.forEach((r) => (r.outcome = failed(`no ${transport} address`)));
    const job: Job = {
      kind: 'echo',
      impl,
      transport,
      address,
      cases: rows.map((r) => ({ id: label(r), size: r.size, inflight: r.inflight })),
      warmupMs: s.warmupMs,
      timeMs: s.timeMs,
    };
    try {
      await runClient(job, echoBudget, (id, outcome) => {
        const row = ids.get(id);
        if (!row) return;
        row.outcome = outcome as EchoRow['outcome'];
        progress(id, outcome, (v: { reqPerSec: number; p50Ms: number }) => `${Math.round(v.reqPerSec).toLocaleString('en-US')} req/s, p50 ${v.p50Ms.toFixed(3)} ms`);
      });
    } catch (err) {
      for (const r of rows) if (!r.outcome.ok && r.outcome.reason === 'not run') r.outcome = failed(reasonOf(err));
    }
  };

  /** Runs a one-result job into `row`. */
  const runOne = async (job: Job & { id: string }, budget: number, row: { outcome: Outcome<unknown> }, figure: (v: never) => string) => {
    try {
      await runClient(job, budget, (_, outcome) => (row.outcome = outcome));
    } catch (err) {
      row.outcome = failed(reasonOf(err));
    }
    progress(job.id, row.outcome, figure);
  };

  const withServer = async (script: string, what: string, body: (server: Running) => Promise<void>, rows: { outcome: Outcome<unknown> }[]) => {
    let server: Running | undefined;
    try {
      server = await startServer(script, dir);
    } catch (err) {
      const reason = `${what} server: ${reasonOf(err)}`;
      for (const r of rows) if (!r.outcome.ok) r.outcome = failed(reason);
      process.stdout.write(`  ${what}: n/a (${reason})\n`);
      return;
    }
    try {
      await body(server);
    } finally {
      await server.child.kill();
    }
  };

  const streamFigure = (v: { mbPerSec: number }) => `${v.mbPerSec.toFixed(0)} MB/s`;
  const connectFigure = (v: { perSec: number }) => `${Math.round(v.perSec).toLocaleString('en-US')} connections/s`;
  const families: { script: string; name: string; kind: 'raw' | 'gotalk' | null; impls: Impl[]; transports: Transport[] }[] = [
    { script: 'servers/raw-net.ts', name: 'raw net', kind: 'raw', impls: ['raw'], transports: ['tcp', 'unix'] },
    { script: 'servers/gotalk.ts', name: 'gotalk', kind: 'gotalk', impls: ['gotalk bytes', 'gotalk json'], transports: ['tcp', 'unix', 'ws'] },
    { script: 'servers/raw-ws.ts', name: 'raw ws', kind: null, impls: ['raw'], transports: ['ws'] },
    { script: 'servers/birpc.ts', name: 'birpc', kind: null, impls: ['birpc'], transports: ['ws'] },
    { script: 'servers/json-rpc.ts', name: 'json-rpc-2.0', kind: null, impls: ['json-rpc-2.0'], transports: ['ws'] },
    { script: 'servers/socket-io.ts', name: 'socket.io', kind: null, impls: ['socket.io'], transports: ['ws'] },
  ];
  try {
    for (const f of families) {
      process.stdout.write(`${f.name}\n`);
      const kind = f.kind;
      const rows: { outcome: Outcome<unknown> }[] = [
        ...m.echo.filter((r) => f.impls.includes(r.impl) && f.transports.includes(r.transport)),
        ...(kind ? [...m.stream.filter((r) => r.impl === kind), ...m.connect.filter((r) => r.impl === kind)] : []),
      ];
      await withServer(
        f.script,
        f.name,
        async (server) => {
          for (const transport of f.transports) for (const impl of f.impls) await runEcho(server, impl, transport);
          if (!kind) return;
          for (const row of m.stream.filter((r) => r.impl === kind)) {
            const address = server.addresses[kind === 'raw' ? `${row.transport}Pipe` : row.transport]!;
            const id = `${row.transport} ${kind} stream 64 KiB parts`;
            await runOne({ kind: 'stream', id, impl: kind, address, warmupMs: s.warmupMs, timeMs: s.timeMs }, s.warmupMs + s.timeMs + SLACK, row, streamFigure);
          }
          const row = m.connect.find((r) => r.impl === kind)!;
          const id = `tcp ${kind} connect+close`;
          await runOne({ kind: 'connect', id, impl: kind, address: server.addresses['tcp']!, warmupMs: 100, timeMs: s.connectMs, max: s.connectMax }, s.connectMs + SLACK, row, connectFigure);
        },
        rows,
      );
    }
    process.stdout.write('idle connections\n');
    for (const row of m.idle) {
      const script = row.impl === 'raw' ? 'servers/raw-net.ts' : 'servers/gotalk.ts';
      await withServer(script, `${row.impl} idle`, async (server) => {
        try {
          row.outcome = { ok: true, value: await measureIdle(server, row.impl, s.idleConnections) };
        } catch (err) {
          row.outcome = failed(reasonOf(err));
        }
        progress(`tcp ${row.impl} ${s.idleConnections} idle`, row.outcome, (v: { heapPerConnection: number }) => `${Math.round(v.heapPerConnection).toLocaleString('en-US')} B heap per connection`);
      }, [row]);
    }
  } finally {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  }
  return m;
}

/** Server heap after GC before and after `count` clients (another process) connect and sit idle. */
async function measureIdle(server: Running, impl: 'raw' | 'gotalk', count: number) {
  const client = new Child('client.ts', [JSON.stringify({ kind: 'idle', impl, address: server.addresses['tcp']!, count, warm: 20 } satisfies Job)]);
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
