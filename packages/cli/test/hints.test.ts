// The commands the demo and the admin-socket example print for the reader to try are run as
// printed, from the repository's root, with the shell: they must work on a machine that has
// only Node and npm (so `npx --yes pnpm@10 …`, never a bare `pnpm`).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { Cleanup } from '@gotalk/test-kit';
import { startGroup, tempDir } from '@gotalk/test-kit/node';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

/** Starts `tsx <script> ...args` from the root and resolves with its stdout once it has printed `ready`. */
async function start(script: string, args: string[], ready: RegExp): Promise<string> {
  const group = startGroup(join(ROOT, 'node_modules/.bin/tsx'), [script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.add(() => group.stop());
  let out = '';
  group.child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  group.child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const end = Date.now() + 30_000;
  while (!ready.test(out)) {
    if (Date.now() > end || !group.alive()) throw new Error(`${script} did not get ready:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return out;
}

/** Runs one printed command line with sh from the root. */
function sh(line: string, input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('sh', ['-c', line], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

/** The indented lines after "Try from another terminal:". */
const hints = (out: string) => /Try from another terminal:\n((?: {2}.*\n)+)/.exec(out)![1]!.trim().split(/\n\s*/);

it('the demo’s hints run as printed', { timeout: 120_000 }, async () => {
  const dir = await tempDir(cleanup);
  const out = await start('examples/demo/server.ts', ['--http', '127.0.0.1:0', '--tcp', '127.0.0.1:0', '--unix', join(dir, 'demo.sock')], /Ctrl-C stops it/);
  const lines = hints(out);
  expect(lines).toHaveLength(4);
  for (const line of lines) {
    expect(line).toMatch(/^npx --yes pnpm@10 gotalk /);
    const r = await sh(line);
    expect(r.stderr, line).not.toMatch(/not found|ERR_PNPM/);
    expect(r.code, `${line}\n${r.stdout}${r.stderr}`).toBe(0);
  }
});

it('the admin-socket example’s hint runs as printed', { timeout: 120_000 }, async () => {
  const dir = await tempDir(cleanup);
  const out = await start('examples/admin-socket/server.ts', ['--port', '0', '--admin', `unix:${join(dir, 'admin.sock')}`], /gotalk shell/);
  const [line] = hints(out);
  expect(line).toBe(`npx --yes pnpm@10 gotalk shell unix:${join(dir, 'admin.sock')}`);
  const r = await sh(line!, 'health\n');
  expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\{"status":"ok","uptimeSeconds":[\d.]+\}\n$/) });
});
