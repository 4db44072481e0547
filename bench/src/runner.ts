import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectImpl } from './cases/connect.ts';
import type { EchoResult } from './cases/echo.ts';
import { IMPLS, type Impl, type Transport } from './clients/index.ts';
import { int, mb } from './format.ts';
import type { Command } from './jobs.ts';
import { CONNECT_CASES, plan } from './plan.ts';
import { Child, killAll } from './procs.ts';
import { failed, type ConnectRow, type Measurements, type Outcome, type Row, type StreamImpl } from './results.ts';
import type { Settings } from './settings.ts';
import { sleep } from './stats.ts';
import { reasonOf, Worker } from './worker.ts';

const START_TIMEOUT = 30_000;
/** Slack on top of a command's own time: connecting, draining, a busy machine. */
const SLACK = 25_000;

/** The server scripts, each run in its own process. */
const SERVERS: Record<string, string> = {
  'servers/raw-net.ts': 'raw net',
  'servers/gotalk.ts': 'gotalk',
  'servers/grpc.ts': 'gRPC',
  'servers/raw-ws.ts': 'raw ws',
  'servers/birpc.ts': 'birpc',
  'servers/json-rpc.ts': 'json-rpc-2.0',
  'servers/socket-io.ts': 'socket.io',
};
const STREAM_SERVER: Record<StreamImpl, string> = { raw: 'servers/raw-net.ts', gotalk: 'servers/gotalk.ts', grpc: 'servers/grpc.ts' };
const CONNECT_SERVER: Record<ConnectImpl, string> = { raw: 'servers/raw-net.ts', gotalk: 'servers/gotalk.ts', 'gotalk pipeline': 'servers/gotalk.ts' };
const IDLE_SERVER = { raw: 'servers/raw-net.ts', gotalk: 'servers/gotalk.ts' } as const;
const echoServer = (impl: Impl, t: Transport): string => (t === 'ws' ? IMPLS[impl].wsServer : IMPLS[impl].server)!;

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

/** The servers a run needs, started; a server that cannot start is an error string its cases report. */
type Servers = Map<string, Running | string>;

/** The order of a case's implementations in pass `pass` (1-based): forward, then backward, and so on. */
const inOrder = <T>(items: readonly T[], pass: number): T[] => (pass % 2 === 1 ? [...items] : [...items].reverse());

/** Records `outcome` as pass `pass` of `row`; a row that failed in every earlier pass is not tried again. */
async function measure<T>(row: Row<T>, pass: number, run: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
  const earlier = row.passes.slice(0, pass - 1);
  const outcome = pass > 1 && earlier.length > 0 && earlier.every((o) => !o.ok) ? earlier[0]! : await run();
  row.passes[pass - 1] = outcome;
  return outcome;
}

const ratioTo = (v: number, base: number | undefined) => (base && base > 0 ? ` (${(v / base).toFixed(2)}×)` : '');

/**
 * Runs every case of the plan. All servers stay up, each in its own process. For each transport,
 * one client process per implementation opens its connection and warms up; then `passes`
 * passes over the cases, and within a pass the implementations of one case (same size and
 * in-flight count) run back to back in alternating order (A B C, then C B A…), so that each
 * pass yields ratios measured under the same conditions. The stream and connect cases alternate
 * the same way. Then the idle-connection measurements, each with a fresh server. Kills every
 * process at the end.
 */
export async function runAll(s: Settings): Promise<Measurements> {
  const dir = mkdtempSync(join(tmpdir(), 'gotalk-bench-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const m = plan(s);
  const servers: Servers = new Map();
  const needed = new Set([
    ...m.echo.map((r) => echoServer(r.impl, r.transport)),
    ...m.stream.map((r) => STREAM_SERVER[r.impl]),
    ...m.connect.map((r) => CONNECT_SERVER[r.impl]),
  ]);
  try {
    for (const script of Object.keys(SERVERS).filter((x) => needed.has(x))) {
      try {
        servers.set(script, await startServer(script, dir));
      } catch (err) {
        const reason = `${SERVERS[script]} server: ${reasonOf(err)}`;
        servers.set(script, reason);
        process.stdout.write(`  ${SERVERS[script]}: n/a (${reason})\n`);
      }
    }
    for (const transport of ['tcp', 'unix', 'ws'] as const) await echoPasses(s, m, servers, transport);
    await otherPasses(s, m, servers);
    for (const server of servers.values()) if (typeof server !== 'string') await server.child.kill();
    if (m.idle.length > 0) process.stdout.write('idle connections\n');
    for (const row of m.idle) {
      let server: Running | undefined;
      try {
        server = await startServer(IDLE_SERVER[row.impl], dir);
        row.passes[0] = { ok: true, value: await measureIdle(server, row.impl, s.idleConnections) };
      } catch (err) {
        row.passes[0] = failed(reasonOf(err));
      } finally {
        await server?.child.kill();
      }
      const o = row.passes[0]!;
      process.stdout.write(`  ${row.id.padEnd(34)} ${o.ok ? `${int(o.value.heapPerConnection)} B heap per connection` : `n/a (${o.reason})`}\n`);
    }
  } finally {
    await killAll();
    removeDir();
  }
  return m;
}

/** Opens a warmed-up echo connection of `impl` in a client process of its own, or says why not. */
async function echoWorker(s: Settings, servers: Servers, impl: Impl, transport: Transport): Promise<Worker | string> {
  const server = servers.get(echoServer(impl, transport));
  if (server === undefined || typeof server === 'string') return server ?? 'no server';
  const address = server.addresses[transport];
  if (!address) return `no ${transport} address`;
  let worker: Worker;
  try {
    worker = await Worker.start();
  } catch (err) {
    return `client process: ${reasonOf(err)}`;
  }
  const opened = await worker.run({ type: 'open', impl, transport, address, warmupMs: s.openWarmupMs }, s.openWarmupMs + SLACK);
  if (opened.ok) return worker;
  await worker.stop();
  return `cannot connect: ${opened.reason}`;
}

/** The echo cases of one transport, pass by pass, the implementations of each case back to back. */
async function echoPasses(s: Settings, m: Measurements, servers: Servers, transport: Transport): Promise<void> {
  const rows = m.echo.filter((r) => r.transport === transport);
  if (rows.length === 0) return;
  const impls = [...new Set(rows.map((r) => r.impl))];
  const workers = new Map<Impl, Worker | string>();
  for (const impl of impls) workers.set(impl, await echoWorker(s, servers, impl, transport));
  const cases = [...new Set(rows.map((r) => `${r.size} B x${r.inflight}`))];
  try {
    for (let pass = 1; pass <= s.passes; pass++) {
      for (const name of cases) {
        const group = rows.filter((r) => `${r.size} B x${r.inflight}` === name);
        const line: string[] = [];
        const got = new Map<Impl, EchoResult>();
        for (const row of inOrder(group, pass)) {
          const w = workers.get(row.impl)!;
          const command: Command = { type: 'echo', size: row.size, inflight: row.inflight, warmupMs: s.warmupMs, timeMs: s.timeMs };
          const o = await measure(row, pass, () =>
            typeof w === 'string' ? Promise.resolve(failed<EchoResult>(w)) : w.run<EchoResult>(command, s.warmupMs + s.timeMs + SLACK),
          );
          if (o.ok) got.set(row.impl, o.value);
        }
        for (const row of group) {
          const v = got.get(row.impl);
          line.push(`${row.impl} ${v ? `${int(v.reqPerSec)}${row.impl === 'raw' ? '' : ratioTo(v.reqPerSec, got.get('raw')?.reqPerSec)}` : 'n/a'}`);
        }
        process.stdout.write(`  [${pass}/${s.passes}] ${transport} ${name} req/s: ${line.join(' · ')}\n`);
      }
    }
  } finally {
    for (const w of workers.values()) if (typeof w !== 'string') await w.stop();
  }
}

/** The stream and connect cases, pass by pass, raw and the others back to back; each first runs once unrecorded (warm-up). */
async function otherPasses(s: Settings, m: Measurements, servers: Servers): Promise<void> {
  const workers = new Map<string, Worker | string>();
  const workerFor = async (impl: string) => {
    if (!workers.has(impl)) workers.set(impl, await Worker.start().catch((err: unknown) => `client process: ${reasonOf(err)}`));
    return workers.get(impl)!;
  };
  const addressOf = (script: string, key: string): string | { error: string } => {
    const server = servers.get(script);
    if (server === undefined || typeof server === 'string') return { error: server ?? 'no server' };
    return server.addresses[key] ?? { error: `no ${key} address` };
  };
  const runOne = async <T>(impl: string, command: Command | { error: string }, budget: number): Promise<Outcome<T>> => {
    if ('error' in command) return failed(command.error);
    const w = await workerFor(impl);
    return typeof w === 'string' ? failed(w) : w.run<T>(command, budget);
  };
  const streamCommand = (impl: StreamImpl, t: 'tcp' | 'unix', warmupMs: number, timeMs: number): Command | { error: string } => {
    const address = addressOf(STREAM_SERVER[impl], impl === 'raw' ? `${t}Pipe` : t);
    return typeof address === 'string' ? { type: 'stream', impl, address, warmupMs, timeMs } : address;
  };
  const connectCommand = (row: ConnectRow, timeMs: number): Command | { error: string } => {
    const address = addressOf(CONNECT_SERVER[row.impl], row.link === 'delayed' ? 'tcpDelayed' : 'tcp');
    return typeof address === 'string' ? { type: 'connect', case: row.case, impl: row.impl, address, warmupMs: 50, timeMs, max: s.connectMax } : address;
  };
  try {
    for (const t of s.streamTransports) {
      const rows = m.stream.filter((r) => r.transport === t);
      if (rows.length === 0) continue;
      for (const row of rows) await runOne(row.impl, streamCommand(row.impl, t, 50, 100), SLACK);
      for (let pass = 1; pass <= s.passes; pass++) {
        const got = new Map<string, number>();
        for (const row of inOrder(rows, pass)) {
          const o = await measure(row, pass, () =>
            runOne<{ mbPerSec: number }>(row.impl, streamCommand(row.impl, t, s.warmupMs, s.timeMs), s.warmupMs + s.timeMs + SLACK),
          );
          if (o.ok) got.set(row.impl, o.value.mbPerSec);
        }
        const line = rows.map(
          (r) => `${r.impl} ${got.has(r.impl) ? `${mb(got.get(r.impl)!)}${r.impl === 'raw' ? '' : ratioTo(got.get(r.impl)!, got.get('raw'))}` : 'n/a'}`,
        );
        process.stdout.write(`  [${pass}/${s.passes}] ${t} stream of 64 KiB parts MB/s: ${line.join(' · ')}\n`);
      }
    }
    // Both Gotalk variants in one client process: the same process and code, warmed alike.
    const connectWorker = (row: ConnectRow) => (row.impl === 'raw' ? 'raw' : 'gotalk');
    for (const row of m.connect) await runOne(connectWorker(row), connectCommand(row, 100), SLACK);
    for (let pass = 1; pass <= s.passes && m.connect.length > 0; pass++) {
      for (const c of CONNECT_CASES) {
        const rows = m.connect.filter((r) => r.case === c.case && r.link === c.link);
        if (rows.length === 0) continue;
        const got = new Map<string, number>();
        for (const row of inOrder(rows, pass)) {
          const command = connectCommand(row, s.connectMs);
          const o = await measure(row, pass, () => runOne<{ perSec: number }>(connectWorker(row), command, s.connectMs + SLACK));
          if (o.ok) got.set(row.impl, o.value.perSec);
        }
        const line = rows.map(
          (r) => `${r.impl} ${got.has(r.impl) ? `${int(got.get(r.impl)!)}${r.impl === 'raw' ? '' : ratioTo(got.get(r.impl)!, got.get('raw'))}` : 'n/a'}`,
        );
        process.stdout.write(`  [${pass}/${s.passes}] tcp ${c.name} /s: ${line.join(' · ')}\n`);
      }
    }
  } finally {
    for (const w of workers.values()) if (typeof w !== 'string') await w.stop();
  }
}

/** Server heap after GC before and after `count` clients (another process) connect and sit idle. */
async function measureIdle(server: Running, impl: 'raw' | 'gotalk', count: number) {
  const job = { kind: 'idle', impl, address: server.addresses['tcp']!, count, warm: 20 };
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
