// The packages as a stranger gets them: every publishable package packed as it would be
// published, the tarballs installed with plain npm into fresh projects outside the workspace, a
// Node program and a page type-checked against them with skipLibCheck off, the Node program run
// against a server, the page bundled with esbuild, and the command line installed on a PATH.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Cleanup } from '@gotalk/test-kit';
import { serve, tempDir } from '@gotalk/test-kit/node';
import type { Server } from '@gotalk/node';
import { readmeBlocks } from './readme-blocks.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PUBLISHED = ['protocol', 'peer', 'node', 'browser', 'pool', 'cli'] as const;
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

const cleanup = new Cleanup();
let dir: string;
let server: Server;
const tarballs = new Map<string, string>();

/** Runs a command, failing with its output (not only its exit code) when it fails. */
async function sh(file: string, args: readonly string[], cwd: string, timeout = 240_000): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** A fresh npm project in `name` with these tarballs (and registry packages) installed. */
async function project(name: string, packages: readonly string[], extra: readonly string[] = []): Promise<string> {
  const at = join(dir, name);
  await mkdir(at);
  await writeFile(join(at, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  const specs = packages.map((p) => tarballs.get(p)!);
  await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...specs, ...extra], at);
  return at;
}

/** A strict tsconfig that checks the libraries too (skipLibCheck off), as a careful consumer's does. */
function tsconfig(include: readonly string[], lib: readonly string[], types: readonly string[]): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      lib,
      types,
      strict: true,
      skipLibCheck: false,
      outDir: 'out',
    },
    include,
  });
}

beforeAll(async () => {
  dir = await tempDir(cleanup);
  const packs = join(dir, 'tarballs');
  await sh('npx', ['--yes', 'pnpm@10', '-r', ...PUBLISHED.flatMap((p) => ['--filter', `@gotalk/${p}`]), 'pack', '--pack-destination', packs], ROOT);
  for (const file of readdirSync(packs)) {
    const m = /^gotalk-(\w+)-\d/.exec(file);
    if (m) tarballs.set(m[1]!, join(packs, file));
  }
  server = await serve(cleanup, 'tcp://127.0.0.1:0');
  server.handlers.handle('greet', (v) => `Hello ${(v as { name: string }).name}`);
}, 120_000);

afterAll(() => cleanup.run());

describe('the packed tarballs', () => {
  test('every package packs, with its README, LICENSE and CHANGELOG, no build info, and only real versions in its dependencies', async () => {
    expect([...tarballs.keys()].sort()).toEqual([...PUBLISHED].sort());
    for (const [name, file] of tarballs) {
      const list = (await sh('tar', ['tzf', file], dir)).split('\n');
      for (const f of ['package/README.md', 'package/LICENSE', 'package/CHANGELOG.md', 'package/package.json']) expect(list, `${name}: ${f}`).toContain(f);
      expect(
        list.filter((f) => f.endsWith('.tsbuildinfo')),
        name,
      ).toEqual([]);
      const pkg = JSON.parse(await sh('tar', ['xzf', file, '-O', 'package/package.json'], dir)) as Record<string, unknown>;
      expect(JSON.stringify(pkg.dependencies ?? {}), name).not.toMatch(/workspace:|catalog:/);
      for (const field of ['repository', 'homepage', 'bugs', 'keywords', 'engines', 'license']) expect(pkg[field], `${name}: ${field}`).toBeDefined();
      // A package README on npm has no repository around it: its links are absolute, or inside the package.
      const readme = await sh('tar', ['xzf', file, '-O', 'package/README.md'], dir);
      for (const [, link] of readme.matchAll(/\]\(([^)]+)\)/g)) expect(link, `${name}: README link`).toMatch(/^(https:\/\/|#|LICENSE$|CHANGELOG\.md$)/);
    }
  });

  test('a TCP service installs the library alone: no tsx, zod or esbuild; its program and the README examples type-check with skipLibCheck off and run', async () => {
    const app = await project('app', ['protocol', 'peer', 'node', 'browser', 'pool'], ['@types/node@20']);
    for (const absent of ['tsx', 'zod', 'esbuild', '@gotalk/cli']) expect(existsSync(join(app, 'node_modules', absent)), absent).toBe(false);
    expect(existsSync(join(app, 'node_modules/@types/ws')), '@types/ws comes with @gotalk/node').toBe(true);

    const examples = PUBLISHED.filter((p) => p !== 'browser' && p !== 'cli').map((p) => {
      const [code] = readmeBlocks(readFileSync(join(ROOT, 'packages', p, 'README.md'), 'utf8'), 'ts');
      return [p, code!] as const;
    });
    for (const [p, code] of examples) await writeFile(join(app, `readme-${p}.ts`), code);
    await writeFile(
      join(app, 'main.ts'),
      [
        "import { connect, NodeError, RemoteError, type Peer } from '@gotalk/node';",
        'const peer: Peer = await connect(process.argv[2]!);',
        "const greeting: unknown = await peer.request('greet', { name: 'npm' });",
        'console.log(greeting);',
        "await peer.request('missing').catch((e: unknown) => console.log(e instanceof RemoteError ? 'remote error' : String(e)));",
        "await connect('tcp://127.0.0.1:1', { connectTimeout: 2000 }).catch((e: unknown) => console.log(e instanceof NodeError ? e.code : String(e)));",
        'await peer.close();',
      ].join('\n'),
    );
    await writeFile(join(app, 'tsconfig.json'), tsconfig(['*.ts'], ['es2023'], ['node']));
    await sh(process.execPath, [TSC, '-p', '.'], app);

    const out = await sh(process.execPath, ['out/main.js', server.addresses[0]!], app, 30_000);
    expect(out.split('\n')).toEqual(['Hello npm', 'remote error', 'CONNECT_FAILED', '']);
    expect(await sh(process.execPath, ['out/readme-node.js'], app, 30_000)).toBe('Hello Ada\n');
    expect(await sh(process.execPath, ['out/readme-peer.js'], app, 30_000)).toBe('Hello Ada\n');
    expect(await sh(process.execPath, ['out/readme-pool.js'], app, 30_000)).toBe('[ 1, 4, 9 ]\n');
    expect(await sh(process.execPath, ['out/readme-protocol.js'], app, 30_000)).toMatch(/^r .*greet/);
  }, 300_000);

  test('a page: the README example and both bundles type-check against the DOM with skipLibCheck off, and esbuild bundles it for browsers', async () => {
    const web = await project('web', ['protocol', 'peer', 'browser']);
    const [code] = readmeBlocks(readFileSync(join(ROOT, 'packages/browser/README.md'), 'utf8'), 'ts');
    await writeFile(join(web, 'page.ts'), code!);
    await writeFile(
      join(web, 'script-tag.ts'),
      [
        "import type {} from '@gotalk/browser/gotalk.js'; // declares the global of the classic script",
        "import { connect as connectEsm } from '@gotalk/browser/gotalk.mjs';",
        "const viaGlobal = gotalk.connect('/gotalk/');",
        "const viaModule: typeof viaGlobal = connectEsm('/gotalk/');",
        "viaModule.handlers.handle('ping', () => 'pong');",
      ].join('\n'),
    );
    await writeFile(join(web, 'tsconfig.json'), tsconfig(['*.ts'], ['es2023', 'dom'], []));
    await sh(process.execPath, [TSC, '-p', '.', '--noEmit'], web);
    const result = await esbuild.build({
      absWorkingDir: web,
      entryPoints: ['page.ts'],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const bundle = result.outputFiles[0]!.text;
    expect(bundle).toContain('page-title');
    expect(bundle).not.toMatch(/from "node:|require\("node:/);
  }, 300_000);

  test('the command line installs on a PATH with npm install --global and talks to a service', async () => {
    const prefix = join(dir, 'global');
    const specs = ['protocol', 'peer', 'node', 'browser', 'cli'].map((p) => tarballs.get(p)!);
    await sh('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...specs], dir);
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
    const { stdout: help } = await run('gotalk', ['--help'], { env, timeout: 30_000 });
    expect(help).toContain('https://github.com/gotalk-ts/gotalk-ts/blob/main/docs/cli.md');
    const { stdout } = await run('gotalk', ['call', server.addresses[0]!, 'greet', '{"name":"PATH"}'], { env, timeout: 30_000 });
    expect(stdout).toBe('"Hello PATH"\n');
  }, 300_000);
});
