// A load check of the demo, not part of the tests: a crowd of strangers against a demo server in
// its own process, while a well-behaved page's requests are timed and the server's memory sampled.
// Method: the demo runs in one child process; a second child (this file with --crowd) opens the
// idle connections (a quarter each of WebSocket and TCP connections that are silent and that send
// only the version `01`, opened in a burst and kept at their number: what the server closes is
// opened again; with --unread they read nothing, and do not notice) and the pages that say hello
// and then stop reading. This process runs the well-behaved page (an `echo` request every 10 ms,
// one at a time) and a chatting page (a line every 500 ms, as a notification), and reads the
// server's RSS every 250 ms. Both children get the open-file limit they need (raised up to the
// hard limit, `ulimit -Hn`). Everything stops by itself after the given seconds.
//
//   npx --yes pnpm@10 run build && npx --yes pnpm@10 exec tsx examples/demo/load.ts [--idle 1000] [--stalled 20] [--seconds 20] [--unread]
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect, type Peer } from '@gotalk/node';
import { runCrowd, type CrowdReport } from './load-crowd.ts';

const { values } = parseArgs({
  options: {
    idle: { type: 'string', default: '1000' },
    stalled: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '20' },
    unread: { type: 'boolean', default: false },
    crowd: { type: 'string' },
  },
});
const idle = Math.min(Math.max(Number(values.idle) || 0, 0), 10_000);
const stalled = Math.min(Math.max(Number(values.stalled) || 0, 0), 1000);
const seconds = Math.min(Math.max(Number(values.seconds) || 20, 5), 300);

/** Open files the demo and the crowd need: a descriptor a connection, and some to spare. */
const filesNeeded = idle + stalled + 200;

/**
 * Node with this process's loader flags, under `sh` with the open-file limit raised to `files` if
 * it is lower (up to the hard limit: that is all a process may do by itself).
 */
function node(args: string[], files: number, options: SpawnOptions): ChildProcess {
  const raise =
    'want=$0; soft=$(ulimit -n); hard=$(ulimit -Hn); if [ "$soft" != unlimited ] && [ "$soft" -lt "$want" ]; then if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then ulimit -n "$want"; else ulimit -n "$hard"; fi; fi; exec "$@"';
  return spawn('sh', ['-c', raise, String(files), process.execPath, ...process.execArgv, ...args], options);
}

/** The hard open-file limit (what `node` can raise the limit to), or Infinity. */
function hardFileLimit(): number {
  try {
    const hard = execFileSync('sh', ['-c', 'ulimit -Hn']).toString().trim();
    return hard === 'unlimited' ? Infinity : Number(hard);
  } catch {
    return Infinity;
  }
}

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'gotalk-demo-load-'));
  const children: ChildProcess[] = [];
  const deadline = setTimeout(
    () => {
      console.error('the load run took too long; stopping');
      finish(1);
    },
    (seconds + 60) * 1000,
  );
  const finish = (code: number) => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    clearTimeout(deadline);
    process.exit(code);
  };
  process.on('SIGINT', () => finish(130));
  if (hardFileLimit() < filesNeeded) {
    console.error(`the open-file limit (ulimit -Hn ${hardFileLimit()}) is below the ${filesNeeded} this run needs: use a smaller --idle`);
    return finish(1);
  }
  process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
  try {
    // The demo in its own node process (the same loader as this one, no launcher in between).
    const server = node(['examples/demo/server.ts', '--http', '127.0.0.1:0', '--tcp', '127.0.0.1:0', '--unix', join(dir, 'demo.sock')], filesNeeded, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(server);
    const printed = await started(server);
    const ws = /websocket\s+(ws:\/\/\S+)/.exec(printed)![1]!;
    const tcp = /tcp\s+tcp:\/\/(\S+)/.exec(printed)![1]!;
    const rss = new RssSampler(server.pid!);
    console.log(`demo server pid ${server.pid} at ${ws} and tcp://${tcp}; RSS at start ${mb(rss.sample())}`);

    const page = await connect(ws, { heartbeatInterval: 1000 });
    await page.request('hello', { name: 'well-behaved' });
    const chatter = await connect(ws, { heartbeatInterval: 1000 });
    await chatter.request('hello', { name: 'chatter' });
    const chatting = setInterval(() => chatter.notify('chat', { text: `a line of chat ${'·'.repeat(200)}` }), 500);

    const quiet = await timeRequests(page, 3000);
    console.log(`quiet: ${describe(quiet)}`);

    const crowdArgs = ['--crowd', JSON.stringify({ ws, tcp }), '--idle', String(idle), '--stalled', String(stalled), ...(values.unread ? ['--unread'] : [])];
    const crowd = node([fileURLToPath(import.meta.url), ...crowdArgs], filesNeeded, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(crowd);
    let last: CrowdReport | null = null;
    crowd.on('message', (r: CrowdReport) => (last = r));
    const sampling = setInterval(() => rss.sample(), 250);
    const loaded = await timeRequests(page, seconds * 1000, () => {
      const r = last;
      if (r)
        console.log(
          `  ${r.idleOpen} idle open (${r.idleOpened} opened, ${r.idleClosed} closed by the server), ${r.stalledGreeted}/${stalled} stalled pages greeted; server RSS ${mb(rss.last)}`,
        );
    });
    clearInterval(sampling);
    clearInterval(chatting);
    const roster = await page.request('roster').catch(() => null);
    console.log(`with ${idle} idle connections${values.unread ? ' (reading nothing)' : ''} and ${stalled} pages that do not read, for ${seconds} s:
  well-behaved page: ${describe(loaded)}
  server RSS: start ${mb(rss.first)}, max ${mb(rss.max)}, end ${mb(rss.last)}
  pages the server counts at the end: ${pagesCounted(roster)}`);
    page.destroy();
    chatter.destroy();
    finish(0);
  } catch (err) {
    console.error(err);
    finish(1);
  }
}

/** Resolves with the demo's banner once it has printed its addresses. */
function started(server: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/unix\s+unix:/.test(out)) {
        resolve(out);
        server.stdout!.off('data', onData);
        server.stdout!.resume(); // its log lines are not ours to keep
      }
    };
    server.stdout!.on('data', onData);
    server.once('exit', (code) => reject(new Error(`the demo exited with ${code}:\n${out}`)));
  });
}

/** Times `echo` requests one after the other, every 10 ms, for `ms`; `tick` runs each second. */
async function timeRequests(peer: Peer, ms: number, tick?: () => void): Promise<number[]> {
  const times: number[] = [];
  const end = Date.now() + ms;
  let nextTick = Date.now() + 1000;
  let n = 0;
  while (Date.now() < end) {
    const t0 = performance.now();
    await peer.request('echo', { n: n++ }, { timeout: 30_000 });
    times.push(performance.now() - t0);
    if (tick && Date.now() >= nextTick) {
      nextTick += 1000;
      tick();
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return times;
}

function describe(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return `${times.length} requests, p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms`;
}

/** How many pages a `roster` result names (its shape differs between versions of the demo). */
function pagesCounted(roster: unknown): string {
  if (Array.isArray(roster)) return `${roster.length} (every connection)`;
  const count = (roster as { count?: unknown } | null)?.count;
  return typeof count === 'number' ? String(count) : '?';
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Reads a process's resident set size (Linux /proc, else `ps`). */
class RssSampler {
  first = 0;
  max = 0;
  last = 0;
  constructor(private readonly pid: number) {}

  sample(): number {
    let bytes = 0;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      bytes = Number(m?.[1] ?? 0) * 1024;
    } catch {
      try {
        bytes =
          Number(
            execFileSync('ps', ['-o', 'rss=', '-p', String(this.pid)])
              .toString()
              .trim(),
          ) * 1024;
      } catch {
        return this.last;
      }
    }
    this.first ||= bytes;
    this.max = Math.max(this.max, bytes);
    this.last = bytes;
    return bytes;
  }
}

if (values.crowd) {
  // The crowd's process: addresses come as JSON, reports go back over IPC; it ends with its parent.
  process.on('disconnect', () => process.exit(0));
  const { ws, tcp } = JSON.parse(values.crowd) as { ws: string; tcp: string };
  await runCrowd({ ws, tcp, idle, stalled, unread: values.unread, report: (r: CrowdReport) => process.send?.(r) });
} else {
  await main();
}
