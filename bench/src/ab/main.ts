// `npx --yes pnpm@10 bench:ab -- --base=DIR [--passes=N] [--time=MS] [--cases=…] [--prof=DIR]`: this
// checkout's @gotalk/node (B) against another checkout's build (A, e.g. main), echo cases run by
// alternating processes (A B, B A, …); prints each case's median B/A ratio of req/s with its range.
// With --prof, also one CPU-profiled run of each side and case, and the hottest functions of
// each process. Measures and prints; never fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hottest } from './profile.ts';
import { spreadOf } from '../spread.ts';
import { compiled } from '../compile.ts';

const args = process.argv.slice(2).filter((a) => a !== '--');
const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const here = fileURLToPath(new URL('.', import.meta.url));
const mine = resolve(here, '../../../packages/node/dist/index.js');
// Paths on the command line are the caller's: pnpm runs this script in bench/ and says where it was started in INIT_CWD.
const cwd = process.env['INIT_CWD'] ?? process.cwd();
const baseDir = arg('base');
const passes = Number(arg('passes') ?? 7);
const timeMs = Number(arg('time') ?? 1000);
const profArg = arg('prof');
const prof = profArg === undefined ? undefined : resolve(cwd, profArg);
// Both processes of a sample run compiled JavaScript, as the benchmark's do (see compile.ts).
compiled('ab/echo-server.ts');
const pair = compiled('ab/echo-pair.ts');
const cases = (arg('cases') ?? 'tcp json 1024 64,tcp json 65536 64,tcp bytes 1024 64,tcp bytes 65536 64').split(',').map((c) => c.trim().split(/\s+/));

function sample(entry: string, c: string[], profDir?: string): number | null {
  const r = spawnSync(
    process.execPath,
    [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profDir, 'client')}`] : []), pair, entry, ...c, '300', String(timeMs), ...(profDir ? [profDir] : [])],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return (JSON.parse(line) as { reqPerSec: number }).reqPerSec;
  } catch {
    process.stdout.write(`  a sample failed: ${(r.stderr || r.stdout).split('\n')[0]}\n`);
    return null;
  }
}

function main(): void {
  if (!baseDir) return void process.stdout.write('usage: bench:ab -- --base=DIR (a checkout with a build of packages/node)\n');
  const base = resolve(cwd, baseDir, 'packages/node/dist/index.js');
  if (!existsSync(base) || !existsSync(mine)) return void process.stdout.write(`no build at ${existsSync(base) ? mine : base}\n`);
  process.stdout.write(`A = ${base}\nB = ${mine}\n${passes} passes of ${timeMs} ms per case and side, alternating A B, B A…\n`);
  for (const c of cases) {
    const ratios: number[] = [];
    const a: number[] = [];
    const b: number[] = [];
    for (let pass = 1; pass <= passes; pass++) {
      const order = pass % 2 === 1 ? (['A', 'B'] as const) : (['B', 'A'] as const);
      const got: Record<string, number | null> = {};
      for (const side of order) got[side] = sample(side === 'A' ? base : mine, c);
      if (got['A'] && got['B']) {
        a.push(got['A']);
        b.push(got['B']);
        ratios.push(got['B'] / got['A']);
      }
    }
    const s = spreadOf(ratios);
    const med = (v: number[]) => Math.round(spreadOf(v)?.median ?? 0).toLocaleString('en-US');
    const shown = s ? `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)}, ${s.n} passes)` : 'n/a';
    process.stdout.write(`${c.join(' ').padEnd(26)} A ${med(a).padStart(8)} req/s  B ${med(b).padStart(8)} req/s  B/A ${shown}\n`);
    if (prof) {
      for (const [side, entry] of [
        ['A', base],
        ['B', mine],
      ] as const) {
        const dir = join(prof, `${c.join('-')}-${side}`);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        sample(entry, c, dir);
        for (const proc of ['client', 'server']) {
          const files = existsSync(join(dir, proc)) ? readdirSync(join(dir, proc)).map((f) => join(dir, proc, f)) : [];
          const largest = files.sort((x, y) => statSync(y).size - statSync(x).size)[0];
          if (largest)
            process.stdout.write(
              `  ${side} ${proc} (${largest}):\n${hottest(largest, 12)
                .map((l) => `    ${l}`)
                .join('\n')}\n`,
            );
        }
      }
    }
  }
}

main();
