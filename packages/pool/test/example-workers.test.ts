// examples/workers end to end, as `pnpm example:workers` runs it: real worker threads, child
// processes and a remote worker over TCP. Its last line must say no job was lost or run twice,
// also when one worker process is SIGKILLed mid-run; `gotalk call` reads the pool's figures on
// its admin socket. Each run is a process group of its own, ended whole. Needs `pnpm run build`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, expect, test } from 'vitest';
import { Cleanup, waitFor } from '@gotalk/test-kit';
import { startGroup, type ProcessGroup } from '@gotalk/test-kit/node';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const GOTALK = join(ROOT, 'node_modules/.bin/gotalk');
const RUN = 90_000;

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

beforeAll(() => {
  for (const file of ['peer/dist/index.js', 'pool/dist/index.js', 'node/dist/index.js', 'cli/dist/main.js']) {
    if (!existsSync(join(ROOT, 'packages', file))) throw new Error(`packages/${file} is missing: run \`pnpm run build\` first`);
  }
});

interface Run {
  readonly group: ProcessGroup;
  /** Lines printed so far. */
  readonly lines: string[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

function example(args: readonly string[]): Run {
  const group = startGroup(TSX, ['examples/workers/coordinator.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.add(async () => {
    await group.stop();
    expect(group.alive()).toBe(false);
  });
  const lines: string[] = [];
  let rest = '';
  const take = (chunk: string) => {
    rest += chunk;
    const parts = rest.split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  };
  group.child.stdout!.setEncoding('utf8').on('data', take);
  group.child.stderr!.setEncoding('utf8').on('data', take);
  const exited = new Promise<number | null>((resolve) => group.child.on('exit', (code) => resolve(code)));
  return { group, lines, exited };
}

/** Runs the gotalk command line; resolves with what it printed. */
function gotalk(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(GOTALK, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`gotalk ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

test(
  'threads, processes and a remote worker share the jobs; none lost or duplicated; gotalk call reads the figures',
  async () => {
    const run = example(['--threads', '1', '--processes', '1', '--remote', '1', '--jobs', '60', '--rounds', '300000', '--linger', '60000']);
    await waitFor(() => run.lines.some((l) => l.startsWith('lingering')), 'the jobs to be done', RUN);
    const admin = run.lines.find((l) => l.startsWith('admin: '))!.split(' ')[1]!;
    expect(admin).toMatch(/^unix:\//);
    const figures = JSON.parse(await gotalk('call', admin, 'figures')) as {
      completed: number;
      members: number;
      workers: { name: string; completed: number }[];
    };
    expect(figures.completed).toBe(60);
    expect(figures.workers.map((w) => w.name).sort()).toEqual(['process-1', 'remote-1', 'thread-1']);
    expect(figures.workers.reduce((n, w) => n + w.completed, 0)).toBe(60);
    expect(JSON.parse(await gotalk('call', admin, 'jobs'))).toEqual([]);
    await gotalk('call', admin, 'stop');
    expect(await run.exited).toBe(0);
    expect(run.lines.at(-1)).toBe('jobs: 60 done, 0 lost, 0 duplicated, 0 failed over');
  },
  RUN + 30_000,
);

test(
  '--kill-one: a worker process SIGKILLed mid-run, its jobs run elsewhere; still 0 lost, 0 duplicated',
  async () => {
    const run = example(['--threads', '1', '--processes', '2', '--jobs', '90', '--rounds', '300000', '--kill-one']);
    const code = await run.exited;
    const last = run.lines.at(-1) ?? '';
    expect(code, run.lines.join('\n')).toBe(0);
    const m = /^jobs: 90 done, 0 lost, 0 duplicated, (\d+) failed over$/.exec(last);
    expect(m, run.lines.join('\n')).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(run.lines.some((l) => /^process-\d \(pid \d+\) was killed by SIGKILL$/.test(l))).toBe(true);
  },
  RUN + 30_000,
);
