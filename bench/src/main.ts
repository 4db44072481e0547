// `npx --yes pnpm@10 bench [--quick] [--time=MS] [--passes=N] [--only=REGEX] [--no-build]`: Gotalk against raw
// socket echoes, gRPC and peer libraries, each side in its own process, over loopback, in interleaved
// passes (the median of pass-by-pass ratios). Measures and prints; never fails a build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUNDLE_HEADERS, bundleMethod, bundleRows } from './bundle-report.ts';
import { BUNDLES_ID, measureBundles } from './bundles.ts';
import { textTable } from './format.ts';
import { machine } from './machine.ts';
import { performanceDoc } from './markdown.ts';
import { watchMachine } from './busy.ts';
import { childCpuSeconds, killAll } from './procs.ts';
import { buildReport, busyLine, type Report, ECHO_HEADERS, echoRows, OTHER_HEADERS, otherRows, TARGET_HEADERS, targetRows } from './report.ts';
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

const readReport = (file: string): Report | null =>
  existsSync(`${RESULTS}${file}`) ? (JSON.parse(readFileSync(`${RESULTS}${file}`, 'utf8')) as Report) : null;

/** `--render`: rewrites docs/performance.md and results/full.svg from results/full.json (and full-previous.json), measuring nothing. */
function render(): void {
  const report = readReport('full.json');
  if (!report) return void process.stdout.write('no bench/results/full.json yet: run npx --yes pnpm@10 bench first\n');
  writeFileSync(`${RESULTS}full.svg`, chart(report));
  writeFileSync(DOC, performanceDoc(report, '../bench/results/full.svg', readReport('full-previous.json')));
  process.stdout.write('rewrote docs/performance.md and bench/results/full.svg from bench/results/full.json\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--render')) return render();
  const settings = parseSettings(process.argv.slice(2));
  if (settings.build) build();
  const started = performance.now();
  const watch = watchMachine();
  process.stdout.write(
    `${settings.quick ? 'quick' : 'full'} run: ${settings.passes} interleaved passes, ${settings.timeMs} ms per case and pass after ${settings.warmupMs} ms of warm-up\n`,
  );
  const measurements = await runAll(settings);
  const busy = watch.stop(childCpuSeconds());
  // After the passes and outside the measure of how busy the machine was: esbuild's work is no case's.
  const bundles = settings.only === null || settings.only.test(BUNDLES_ID) ? await measureBundles() : null;
  const report = buildReport(measurements, bundles, settings, machine(), new Date(), busy, (performance.now() - started) / 1000);
  const svg = chart(report);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${RESULTS}latest.svg`, svg);
  const complete = !settings.quick && settings.only === null;
  if (complete) {
    // The run before this one stays beside it: the page shows both runs' verdicts.
    const previous = readReport('full.json');
    if (previous) renameSync(`${RESULTS}full.json`, `${RESULTS}full-previous.json`);
    writeFileSync(`${RESULTS}full.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${RESULTS}full.svg`, svg);
    writeFileSync(DOC, performanceDoc(report, '../bench/results/full.svg', previous));
  }
  const m = report.machine;
  const out = [
    '',
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; ${report.date}`,
    `${busyLine(report)}`,
    'ratios: the median of the pass-by-pass ratios (each pass runs the implementations of a case back to back), with the range of the passes;',
    'a verdict is "too noisy" when the bound lies inside the middle half of the passes',
    '',
    'ECHO',
    textTable(ECHO_HEADERS, echoRows(report)),
    '',
    'STREAMS, CONNECTIONS, IDLE MEMORY',
    textTable(OTHER_HEADERS, otherRows(report)),
    '',
    'BROWSER BUNDLES',
    report.bundles
      ? `${bundleMethod(report.bundles)}\n${textTable(BUNDLE_HEADERS, bundleRows(report.bundles))}`
      : `not measured (--only does not match "${BUNDLES_ID}")`,
    '',
    'TARGETS',
    textTable(TARGET_HEADERS, targetRows(report)),
    '',
    `wrote bench/results/latest.json and latest.svg${complete ? ', full.json, full.svg and docs/performance.md' : ''} (${report.seconds} s)`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

main()
  .catch((err: unknown) => {
    process.stdout.write(`the benchmark stopped: ${err instanceof Error ? err.stack : String(err)}\n`);
  })
  .finally(() => killAll().then(() => process.exit(0)));
