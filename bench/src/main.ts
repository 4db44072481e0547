// `pnpm bench [--quick] [--time=ms] [--no-build]`: Gotalk against raw socket echoes and peer
// libraries, each side in its own process, over loopback. Measures and prints; never fails a build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { textTable } from './format.ts';
import { machine } from './machine.ts';
import { performanceDoc } from './markdown.ts';
import { killAll } from './procs.ts';
import { buildReport, ECHO_HEADERS, echoRows, OTHER_HEADERS, otherRows, TARGET_HEADERS, targetRows } from './report.ts';
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

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  if (settings.build) build();
  const started = performance.now();
  process.stdout.write(`${settings.quick ? 'quick' : 'full'} run: ${settings.timeMs} ms per case after ${settings.warmupMs} ms of warm-up\n`);
  const measurements = await runAll(settings);
  const report = buildReport(measurements, settings, machine(), new Date());
  const svg = chart(report);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${RESULTS}latest.svg`, svg);
  if (!settings.quick) {
    writeFileSync(`${RESULTS}full.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${RESULTS}full.svg`, svg);
    writeFileSync(DOC, performanceDoc(report, '../bench/results/full.svg'));
  }
  const m = report.machine;
  const out = [
    '',
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; ${report.date}`,
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
    `wrote bench/results/latest.json and latest.svg${settings.quick ? '' : ', full.json, full.svg and docs/performance.md'} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

main()
  .catch((err: unknown) => {
    process.stdout.write(`the benchmark stopped: ${err instanceof Error ? err.stack : String(err)}\n`);
  })
  .finally(() => killAll().then(() => process.exit(0)));
