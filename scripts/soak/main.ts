// pnpm soak: N clients, each making M mixed requests per connection (single, JSON, delayed,
// stream both ways, notifications answered by notifications, calls back from the server) and then
// reconnecting, against a server in another process, for a bounded time. Every answer is checked.
// Prints the server's heap after GC, open fds and handles at the start and at the end, and the
// requests lost or wrong; exits 1 when any was lost or wrong, or the server's memory or fds grew
// past their bounds.
//
//   npx --yes pnpm@10 soak [--clients N] [--seconds N] [--requests N] [--heap-bound MiB] [--seed N]
//
// --clients     concurrent clients (default 16), spread over TCP, WebSocket and a Unix socket
// --seconds     how long the clients keep going (default 50; the whole run takes about 10 s more)
// --requests    requests per connection before the client reconnects (default 100)
// --heap-bound  how much the server's memory after GC (heap used + external) may grow from start to end (default 16 MiB)
// --seed        seed of the clients' random choices (default random, printed)
// --fault       wrong-echo, fail-echo or leak (comma-separated): the server misbehaves on purpose,
//               to check that the soak notices (its own test uses it)
import { fork, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type Peer } from '@gotalk/node';
import { hex32, Rng } from '../fuzz/rng.ts';
import type { StatsReply } from './protocol.ts';
import type { Fault } from './server.ts';
import { clientHandlers, KINDS, pickKind, Pongs, request, Tally, type Kind } from './workload.ts';

const USAGE = 'usage: npx --yes pnpm@10 soak [--clients N] [--seconds N] [--requests N] [--heap-bound MiB] [--seed N] [--fault wrong-echo,fail-echo,leak]';
/** Open fds the server may have at the end beyond those at the start. */
const FD_SLACK = 2;

interface Args {
  clients: number;
  seconds: number;
  requests: number;
  heapBound: number;
  seed: number;
  faults: Fault[];
}

const FAULTS: readonly Fault[] = ['wrong-echo', 'fail-echo', 'leak'];

function parseArgs(argv: readonly string[]): Args {
  const out: Args = { clients: 16, seconds: 50, requests: 100, heapBound: 16, seed: randomInt(0, 2 ** 32 - 1), faults: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--') continue;
    const v = argv[++i];
    if (flag === '--fault') {
      const faults = (v ?? '').split(',') as Fault[];
      if (!faults.every((f) => FAULTS.includes(f))) throw new Error(`--fault takes ${FAULTS.join(', ')}, got ${v ?? 'nothing'}`);
      out.faults = faults;
      continue;
    }
    const n = v !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} needs a number, got ${v ?? 'nothing'}`);
    if (flag === '--clients') out.clients = Math.max(1, n);
    else if (flag === '--seconds') out.seconds = n;
    else if (flag === '--requests') out.requests = Math.max(1, n);
    else if (flag === '--heap-bound') out.heapBound = n;
    else if (flag === '--seed') out.seed = n >>> 0;
    else throw new Error(`unknown option ${flag}`);
  }
  return out;
}

/** The server process: forked with the tsx loader and --expose-gc, in a process group of its own. */
function startServer(addresses: string[], faults: readonly Fault[]): Promise<{ child: ChildProcess; addresses: string[] }> {
  const child = fork(new URL('./server.ts', import.meta.url), [], {
    execArgv: ['--expose-gc', '--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  child.send({ addresses, faults });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start within 30 s')), 30_000);
    child.once('message', (m: { type: string; addresses?: string[]; message?: string }) => {
      clearTimeout(timer);
      if (m.type === 'ready') resolve({ child, addresses: m.addresses! });
      else reject(new Error(`the server failed to start: ${m.message}`));
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before it was ready`)));
  });
}

/** Ends the server's whole process group: asks it to close, then kills what is left. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  }
}

async function stats(monitor: Peer): Promise<StatsReply> {
  return (await monitor.request('stats')) as StatsReply;
}

/** Polls until only the monitor is connected (clients' connections may take a moment to go). */
async function quiet(monitor: Peer, timeout = 15_000): Promise<StatsReply> {
  const until = Date.now() + timeout;
  for (;;) {
    const s = await stats(monitor);
    if (s.connections <= 1 || Date.now() > until) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One client: connections one after another (rotating over the addresses), `requests` each, until `deadline`. */
async function client(id: number, addresses: readonly string[], deadline: number, args: Args, tally: Tally): Promise<void> {
  const rng = new Rng((args.seed ^ Math.imul(id + 1, 0x85ebca6b)) >>> 0);
  for (let round = 0; Date.now() < deadline; round++) {
    const address = addresses[(id + round) % addresses.length]!;
    let peer: Peer;
    try {
      peer = await connect(address, { handlers: clientHandlers });
    } catch (err) {
      tally.connectFailures++;
      tally.problem(`client ${id}: cannot connect to ${address}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    tally.connections++;
    const pongs = new Pongs(peer);
    const where = `client ${id} on ${address.split(':')[0]}`;
    for (let sent = 0; sent < args.requests && Date.now() < deadline;) {
      // A wave of 1..8 requests in flight at once.
      const wave = Math.min(rng.range(1, 8), args.requests - sent);
      await Promise.all(Array.from({ length: wave }, () => request(pickKind(rng), peer, pongs, rng, tally, where)));
      sent += wave;
    }
    // Leave gracefully (close) or at once (destroy), with nothing in flight either way.
    if (rng.chance(0.75)) await peer.close();
    else peer.destroy();
  }
}

/** One request of every kind on each address: the server's code is warm before its memory is measured. */
async function warmUp(addresses: readonly string[], rng: Rng, tally: Tally): Promise<void> {
  for (const address of addresses) {
    const peer = await connect(address, { handlers: clientHandlers });
    const pongs = new Pongs(peer);
    for (const [kind] of KINDS) for (let i = 0; i < 20; i++) await request(kind, peer, pongs, rng, tally, `warm-up on ${address}`);
    await peer.close();
  }
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

function describeStats(s: StatsReply): string {
  const m = s.memory;
  const handles = Object.entries(s.handles)
    .sort()
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return `heap used ${mib(m.heapUsed)} (total ${mib(m.heapTotal)}), external ${mib(m.external)}, array buffers ${mib(m.arrayBuffers)}, rss ${mib(m.rss)}; ${s.fds} fds; ${s.connections} connections; handles: ${handles}`;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'gotalk-soak-'));
  let server: ChildProcess | null = null;
  const kill = () => {
    if (server?.pid) {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    kill();
    process.exit(130);
  });
  try {
    const started = await startServer(['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/gotalk/', `unix:${path.join(dir, 'soak.sock')}`], args.faults);
    server = started.child;
    const { addresses } = started;
    console.log(`soak: ${args.clients} clients × ${args.requests} requests per connection for ${args.seconds} s, seed ${hex32(args.seed)}`);
    console.log(`server pid ${started.child.pid} on ${addresses.join(', ')}${args.faults.length ? ` (faults on purpose: ${args.faults.join(', ')})` : ''}`);
    const monitor = await connect(addresses[0]!);
    const warm = new Tally();
    await warmUp(addresses, new Rng(args.seed), warm);
    const before = await quiet(monitor);
    console.log(`server at the start (after a warm-up of ${warm.total(warm.sent)} requests): ${describeStats(before)}`);

    const tally = new Tally();
    const t0 = performance.now();
    const deadline = Date.now() + args.seconds * 1000;
    let lastSent = 0;
    const progress = setInterval(() => {
      const sent = tally.total(tally.sent);
      console.log(
        `  … ${Math.round((performance.now() - t0) / 1000)} s: ${sent} requests (${Math.round((sent - lastSent) / 10)}/s), ${tally.connections} connections, ${tally.total(tally.lost)} lost, ${tally.total(tally.wrong)} wrong`,
      );
      lastSent = sent;
    }, 10_000);
    await Promise.all(Array.from({ length: args.clients }, (_, id) => client(id, addresses, deadline, args, tally)));
    clearInterval(progress);
    const secs = (performance.now() - t0) / 1000;
    const after = await quiet(monitor);
    await monitor.close();

    const lost = tally.total(tally.lost) + warm.total(warm.lost);
    const wrong = tally.total(tally.wrong) + warm.total(warm.wrong);
    const sent = tally.total(tally.sent);
    const lat = tally.latencies.sort((a, b) => a - b);
    const pct = (q: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!.toFixed(1) : '-');
    console.log(`server at the end (all clients gone): ${describeStats(after)}`);
    console.log(
      `requests: ${sent} in ${secs.toFixed(1)} s (${Math.round(sent / secs)}/s) over ${tally.connections} connections (reconnects included), latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms`,
    );
    for (const [kind] of KINDS) {
      const k = kind as Kind;
      console.log(`  ${kind}: ${tally.sent.get(k) ?? 0} sent, ${tally.ok.get(k) ?? 0} ok, ${tally.wrong.get(k) ?? 0} wrong, ${tally.lost.get(k) ?? 0} lost`);
    }
    // The JS heap and the memory outside it (buffers): a server keeping payloads grows the second.
    const held = (s: StatsReply) => s.memory.heapUsed + s.memory.external;
    const growth = held(after) - held(before);
    const checks: [boolean, string][] = [
      [lost === 0, `requests lost: ${lost}`],
      [wrong === 0, `requests wrong: ${wrong}`],
      [tally.connectFailures === 0, `connections refused or failed: ${tally.connectFailures}`],
      [
        after.gc && growth <= args.heapBound * 2 ** 20,
        `server memory after GC (heap used + external) grew ${mib(growth)} (bound ${args.heapBound} MiB${after.gc ? '' : '; GC could not be forced'})`,
      ],
      [after.fds <= before.fds + FD_SLACK, `server fds: ${before.fds} at the start, ${after.fds} at the end (bound +${FD_SLACK})`],
      [after.connections <= 1, `server connections left at the end: ${after.connections - 1} besides the monitor`],
    ];
    for (const p of [...warm.problems, ...tally.problems]) console.log(`  ${p}`);
    for (const [ok, text] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${text}`);
    return checks.every(([ok]) => ok) ? 0 : 1;
  } finally {
    if (server) await stopServer(server);
    kill();
  }
}

process.exitCode = await main();
