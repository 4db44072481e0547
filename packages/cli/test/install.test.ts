// The CLI installs on PATH the usual way for an npm package: `npm link` in packages/cli (after the
// workspace's install and build) puts a `gotalk` command in npm's global bin, here a temporary
// prefix. (`npm install -g` of the packed tarballs, `pnpm pack` in protocol, peer, browser, node
// and cli, works the same way but needs the registry for tsx, ws and zod: see docs/cli.md.)
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { Cleanup } from '@gotalk/test-kit';
import { tempDir } from '@gotalk/test-kit/node';

const CLI = fileURLToPath(new URL('../', import.meta.url));
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 60_000, ...options }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

it('the bin is an executable node script', () => {
  expect(statSync(join(CLI, 'bin/gotalk.js')).mode & 0o111).not.toBe(0);
});

it('npm link puts a working gotalk on PATH', { timeout: 90_000 }, async () => {
  const prefix = await tempDir(cleanup);
  const env = { ...process.env, NPM_CONFIG_PREFIX: prefix, npm_config_prefix: prefix };
  const linked = await run('npm', ['link', '--no-audit', '--no-fund'], { cwd: CLI, env });
  expect(linked.code, linked.stderr).toBe(0);
  const version = await run('gotalk', ['--version'], { env: { ...env, PATH: `${join(prefix, 'bin')}:${process.env['PATH']}` } });
  expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^gotalk \d+\.\d+\.\d+\n$/) });
  const help = await run(join(prefix, 'bin/gotalk'), ['--help']);
  expect(help.stdout).toMatch(/^ {2}shell +an interactive prompt/m);
});
