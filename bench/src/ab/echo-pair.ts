// One A/B sample: a Gotalk echo server (a child process, echo-server.ts) and its client (this
// process), both from the @gotalk/node build given; prints `{"reqPerSec":…}` on stdout.
// node dist/ab/echo-pair/echo-pair.mjs <dist/index.js> <tcp|unix|ws> <json|bytes> <size> <inflight> <warmupMs> <timeMs> [cpu-prof dir]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [entry, transport, kind, size, inflight, warmupMs, timeMs, prof] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string?,
];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dir = mkdtempSync(join(tmpdir(), 'gotalk-ab-'));
// bench:ab compiles this file and the server beside it (dist/ab/echo-pair/, dist/ab/echo-server/, see compile.ts): both run as plain JavaScript.
const execArgv = prof ? ['--cpu-prof', `--cpu-prof-dir=${join(prof, 'server')}`] : [];
const child = fork(fileURLToPath(new URL('../echo-server/echo-server.mjs', import.meta.url)), [entry, transport, dir], {
  execArgv,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
try {
  const { address } = await new Promise<{ address: string }>((resolve) => child.once('message', (m) => resolve(m as { address: string })));
  const { connect } = (await import(pathToFileURL(entry).href)) as typeof import('@gotalk/node');
  const peer = await connect(address);
  const n = Number(size);
  const value = { data: 'x'.repeat(Math.max(0, n - 11)) };
  const bytes = new Uint8Array(n).fill(97);
  const call = kind === 'json' ? () => peer.request('echo.json', value) : () => peer.requestBytes('echo', bytes);
  let phase: 'warm' | 'measure' | 'stop' = 'warm';
  let count = 0;
  const loop = async () => {
    while (phase !== 'stop') {
      await call();
      if (phase === 'measure') count++;
    }
  };
  const loops = Promise.all(Array.from({ length: Number(inflight) }, loop));
  await sleep(Number(warmupMs));
  phase = 'measure';
  const start = performance.now();
  await sleep(Number(timeMs));
  phase = 'stop';
  const seconds = (performance.now() - start) / 1000;
  await loops;
  process.stdout.write(`${JSON.stringify({ reqPerSec: count / seconds })}\n`);
  await peer.close();
} finally {
  child.disconnect();
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
