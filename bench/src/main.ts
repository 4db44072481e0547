// `pnpm bench [--quick] [--time=ms] [--no-build]`: Gotalk against raw socket echoes and peer
// libraries, each side in its own process, over loopback. Measures and prints; never fails a build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { textTable } from './format.ts';
import { machine } from './machine.ts';
import { performanceDoc } from './markdown.ts';
import { killAll } from './procs.ts';
import { buildReport, type Report, ECHO_HEADERS, echoRows, OTHER_HEADERS, otherRows, TARGET_HEADERS, targetRows } from './report.ts';
import { runAll } from './runner.ts';
import { parseSettings } from './settings.ts';
import { chart } from './svg.ts';

const path = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const RESULTS = path('../results/');
const DOC = path('../../docs/performance.md');

function build(): void {
  process.stdout.write('building the packages (pnpm -w run build)…\n');
  const r = spawnSync('pnpm', ['-w', 'run', 'build'], { stdio: 'inherit' });
  if (r.status !== 0) {
    const dist = existsSync(path('../../packages/node/dist/index.js'));
    process.stdout.write(`the build failed; ${dist ? 'measuring the existing packages/node/dist' : 'the Gotalk cases will be n/a'}\n`);
  }
}

/** `--render`: rewrites docs/performance.md and results/full.svg from results/full.json, measuring nothing. */
function render(): void {
  const report = JSON.parse(readFileSync(`${RESULTS}full.json`, 'utf8')) as Report;
  writeFileSync(`${RESULTS}full.svg`, chart(report));
  writeFileSync(DOC, performanceDoc(report, '../bench/results/full.svg'));
  process.stdout.write('rewrote docs/performance.md and bench/results/full.svg from bench/results/full.json\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--render')) return render();
  const settings = parseSettings(process.argv.slice(2));
  if (settings.build) build();
  const started = performance.now();
  const load = loadavg()[0]!;
  if (load > 0.5) process.stdout.write(`note: the 1-minute load average is ${load.toFixed(2)} before starting; other work on this machine skews the figures\n`);
  process.stdout.write(`${settings.quick ? 'quick' : 'full'} run: ${settings.timeMs} ms per case after ${settings.warmupMs} ms of warm-up\n`);
  const measurements = await runAll(settings);
  const report = buildReport(measurements, settings, machine(), new Date(), load);
  const svg = chart(report);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${RESULTS}latest.svg`, svg);
  const complete = !settings.quick && settings.only === null;
  if (complete) {
    writeFileSync(`${RESULTS}full.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${RESULTS}full.svg`, svg);
    writeFileSync(DOC, performanceDoc(report, '../bench/results/full.svg'));
  }
  const m = report.machine;
  const out = [
    '',
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; ${report.date}; load average ${report.loadAverage.start} at the start, ${report.loadAverage.end} at the end`,
    '',
    'ECHO',
    textTable(ECHO_HEADERS, echoRows(report)),
    '',
    'STREAMS, CONNECTIONS, IDLE MEMORY',
    textTable(OTHER_HEADERS, otherRows(report)),
    '',
    'TARGETS',
    textTable(TARGET_HEADERS, targetRows(report)),
    '',
    `wrote bench/results/latest.json and latest.svg${complete ? ', full.json, full.svg and docs/performance.md' : ''} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

main()
  .catch((err: unknown) => {
    process.stdout.write(`the benchmark stopped: ${err instanceof Error ? err.stack : String(err)}\n`);
  })
  .finally(() => killAll().then(() => process.exit(0)));
