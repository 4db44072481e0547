// docs/admin-socket.md is a transcript of a real `gotalk shell` session against
// examples/admin-socket. This test runs the example and the shell on a pseudo-terminal, does
// what the page says happens, and compares the screen with the page, numbers masked (memory,
// times and rates vary from run to run; their places do not).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { Cleanup } from '@gotalk/test-kit';
import { startGroup, tempDir } from '@gotalk/test-kit/node';
import { plain, PTY, Terminal } from './terminal.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGE = join(ROOT, 'docs/admin-socket.md');
/** The admin address the page shows (the example's default on a machine whose tmpdir is /tmp). */
const SHOWN_ADDRESS = 'unix:/tmp/admin-socket-example.sock';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

/** The ```text block right after `<!-- transcript: name -->` on the page, without its `$ ` command line. */
function transcript(name: string): string {
  const page = readFileSync(PAGE, 'utf8');
  const m = new RegExp(`<!-- transcript: ${name} -->\\n\`\`\`text\\n([^]*?)\\n\`\`\`\\n`).exec(page);
  if (!m) throw new Error(`docs/admin-socket.md has no transcript "${name}"`);
  return m[1]!
    .split('\n')
    .filter((l) => !l.startsWith('$ '))
    .join('\n');
}

/** Numbers masked: they vary from run to run. */
const masked = (text: string) => text.replace(/\d+(\.\d+)?/g, '#');

/** Where the shell session's steps are: a line typed, or HTTP requests from "another terminal". */
type Step = { readonly type: string } | { readonly http: number; readonly expect: number[] };

const STEPS: Step[] = [
  { type: 'health' },
  { type: 'stats' },
  { type: 'config' },
  { type: 'follow-log' },
  { type: 'log-level debug' },
  { http: 1, expect: [200] },
  { type: 'set-config {"rateLimit": 1}' },
  { http: 2, expect: [200, 429] },
  { type: 'set-config {"rateLimit": 0}' },
  { type: 'set-config {"greeting": "<b>hi</b>"}' },
  { type: '.exit' },
];

it.skipIf(PTY === null)('docs/admin-socket.md is what a real session against the example shows', { timeout: 60_000 }, async () => {
  const dir = await tempDir(cleanup);
  const address = `unix:${join(dir, 'admin.sock')}`;
  const example = startGroup(join(ROOT, 'node_modules/.bin/tsx'), ['examples/admin-socket/server.ts', '--port', '0', '--admin', address], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.add(() => example.stop());
  let out = '';
  example.child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  example.child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const end = Date.now() + 20_000;
  while (!/^http:\/\/127\.0\.0\.1:(\d+)\/ answers/m.test(out)) {
    if (Date.now() > end || !example.alive()) throw new Error(`the example did not start:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = `http://127.0.0.1:${/^http:\/\/127\.0\.0\.1:(\d+)\//m.exec(out)![1]}/`;
  // Traffic before the operator looks: three requests.
  for (let i = 0; i < 3; i++) expect((await fetch(url)).status).toBe(200);

  const t = new Terminal(['shell', '--history', '', address], { NO_COLOR: '1' });
  cleanup.add(() => t.stop());
  let from = await t.waitFor('gotalk> ');
  let lastHttp = Date.now();
  for (const step of STEPS) {
    if ('type' in step) {
      t.type(`${step.type}\r`);
      if (step.type === '.exit') break;
      from = await t.waitFor(/\ngotalk> $/, await t.waitFor(step.type, from));
      continue;
    }
    // The one-second window of the rate limit must hold none of the earlier requests.
    const wait = lastHttp + 1100 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const statuses: number[] = [];
    for (let i = 0; i < step.http; i++) statuses.push((await fetch(url)).status);
    lastHttp = Date.now();
    expect(statuses).toEqual(step.expect);
    // Each request's log entry comes to the shell as a notification.
    for (let i = 0; i < step.http; i++) from = await t.waitFor('notification log', from);
    from = await t.waitFor(/\ngotalk> $/, from);
  }
  expect(await t.exited).toBe(0);
  const screen = plain(t.raw).split(address).join(SHOWN_ADDRESS).trimEnd();
  expect(masked(screen), `the session showed:\n${screen}`).toBe(masked(transcript('shell')));
});
