// The demo as a newcomer starts it from the root: `npx --yes pnpm@10 demo`, stopped with Ctrl-C
// (a SIGINT to the whole process group, as a terminal sends it), and started a second time
// while the first holds its addresses.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Cleanup } from '@gotalk/test-kit';
import { startGroup, tempDir, type ProcessGroup } from '@gotalk/test-kit/node';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const cleanup = new Cleanup();
let dir: string;

beforeAll(async () => {
  dir = await tempDir(cleanup);
});
afterAll(() => cleanup.run());

/** Starts a command in a process group of its own; resolves once `ready` shows in its output. */
function start(
  command: string,
  args: readonly string[],
  ready: RegExp,
): { group: ProcessGroup; output: () => string; exited: Promise<number | null>; started: Promise<void> } {
  const group = startGroup(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.add(() => group.stop());
  let out = '';
  const exited = new Promise<number | null>((resolve) => group.child.once('exit', (code) => resolve(code)));
  const started = new Promise<void>((resolve, reject) => {
    const seen = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) resolve();
    };
    group.child.stdout!.on('data', seen);
    group.child.stderr!.on('data', seen);
    void exited.then((code) => reject(new Error(`exited with ${code} before it was ready:\n${out}`)));
  });
  return { group, output: () => out, exited, started };
}

test('Ctrl-C stops `npx --yes pnpm@10 demo` with exit 0, without pnpm reporting a failure', async () => {
  const demo = start('npx', ['--yes', 'pnpm@10', 'demo', '--http', '127.0.0.1:0', '--tcp', '127.0.0.1:0', '--unix', join(dir, 'a.sock')], /Ctrl-C stops it/);
  await demo.started;
  process.kill(-demo.group.pid, 'SIGINT');
  expect(await demo.exited, demo.output()).toBe(0);
  expect(demo.output()).toContain('stopping…');
  expect(demo.output()).not.toContain('ELIFECYCLE');
}, 180_000);

test('a second demo on addresses in use says which one and how to choose others, and exits 1 without a stack', async () => {
  const tsx = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
  const first = start(
    process.execPath,
    ['--import', tsx, 'examples/demo/server.ts', '--http', '127.0.0.1:0', '--tcp', '127.0.0.1:0', '--unix', join(dir, 'b.sock')],
    /Ctrl-C stops it/,
  );
  await first.started;
  const tcp = /tcp\s+tcp:\/\/(\S+)/.exec(first.output())![1]!;
  const second = start(
    process.execPath,
    ['--import', tsx, 'examples/demo/server.ts', '--http', '127.0.0.1:0', '--tcp', tcp, '--unix', join(dir, 'c.sock')],
    /$^/,
  );
  second.started.catch(() => {});
  expect(await second.exited).toBe(1);
  expect(second.output()).toContain(`The demo cannot listen on ${tcp} (--tcp): it is in use`);
  expect(second.output()).toMatch(/--http \S+ --tcp \S+ --unix \S+/);
  expect(second.output()).not.toMatch(/\n\s+at /);
  await first.group.stop();
}, 120_000);
