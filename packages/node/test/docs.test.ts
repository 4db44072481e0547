// Runs every ```ts block of the docs as a program of its own and checks what it prints, so the
// docs cannot drift from the code.
//
// - Each block is written to a temporary .ts file under packages/node/.docs-snippets/ (git-ignored,
//   removed afterwards), where `@gotalk/*`, zod and ws resolve, and run with the repo's tsx. The
//   packages resolve to their build output: run `pnpm run build` first. Blocks run in that
//   directory, which also holds the test certificates of ./fixtures (for the TLS example).
// - It must exit with code 0 within RUN_TIMEOUT.
// - Its expected output is written in the block as comment lines `// → text`, right after the
//   statement that prints them. If a block has any, its standard output must be exactly those
//   lines, in order: the same number of lines, each equal to its expected line, except that `…` in
//   an expected line stands for any text (none included) within that line. A block without
//   `// → ` lines must only run.
// - A block that cannot run here (it needs a browser, files that do not exist, a fixed port, or
//   is a fragment) is marked on the line right before its fence with `<!-- not run: reason -->`.
// - A block that shows a file of the repository (a worker module the next block starts, say) is
//   marked `<!-- file: examples/… -->` instead: it must be that file, word for word, and the
//   file is put in the directory the blocks run in, so that they find it next to them.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = ['peer.md', 'node.md', 'browser.md', 'protocol.md', 'workers.md'];
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const SNIPPETS = path.join(ROOT, 'packages/node/.docs-snippets');
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
// Generous: the blocks run several at once, beside other test files, and the workers page starts three workers.
const RUN_TIMEOUT = 30_000;

const FENCE_OPEN = /^```ts\s*$/;
const FENCE_CLOSE = /^```\s*$/;
const SKIP = /^<!-- not run: (.+?) -->\s*$/;
const FILE = /^<!-- file: (.+?) -->\s*$/;
const EXPECTED = /^\s*\/\/ →(?: (.*))?$/;

interface Block {
  doc: string;
  /** Line of the opening fence, 1-based. */
  line: number;
  heading: string;
  code: string;
  expected: string[];
  /** Why the block is not run, from its marker. */
  skip: string | null;
  /** The repository file the block shows, from its marker (not run: checked against the file). */
  file: string | null;
}

/** The ```ts blocks of a doc. Throws on a marker that is not right before a ts block. */
function blocksOf(doc: string): Block[] {
  const lines = readFileSync(path.join(ROOT, 'docs', doc), 'utf8').split('\n');
  const blocks: Block[] = [];
  let heading = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    if ((SKIP.test(line) || FILE.test(line)) && !FENCE_OPEN.test(lines[i + 1] ?? '')) {
      throw new Error(`docs/${doc}:${i + 1}: a "not run" or "file" marker must be on the line right before a \`\`\`ts block`);
    }
    if (!FENCE_OPEN.test(line)) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !FENCE_CLOSE.test(lines[i]!); i++) body.push(lines[i]!);
    if (i === lines.length) throw new Error(`docs/${doc}:${start + 1}: unclosed code block`);
    blocks.push({
      doc,
      line: start + 1,
      heading,
      code: body.join('\n') + '\n',
      expected: body.flatMap((l) => {
        const m = EXPECTED.exec(l);
        return m ? [m[1] ?? ''] : [];
      }),
      skip: SKIP.exec(lines[start - 1] ?? '')?.[1] ?? null,
      file: FILE.exec(lines[start - 1] ?? '')?.[1] ?? null,
    });
  }
  return blocks;
}

/** Whether an output line matches an expected line, where `…` stands for any text. */
function matches(expected: string, actual: string): boolean {
  if (!expected.includes('…')) return expected === actual;
  const pattern = expected
    .split('…')
    .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(actual);
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

function run(file: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    // In a process group of its own: tsx runs the program in a child process, and a timeout kills both.
    const child = spawn(TSX, [file], { cwd: path.dirname(file), env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, RUN_TIMEOUT);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}

const blocks = DOCS.flatMap(blocksOf);
let dir = '';

beforeAll(() => {
  for (const pkg of ['protocol', 'peer', 'pool', 'node', 'browser']) {
    if (!existsSync(path.join(ROOT, 'packages', pkg, 'dist/index.js'))) {
      throw new Error(`packages/${pkg}/dist is missing: the doc snippets run against the build, run \`pnpm run build\` first`);
    }
  }
  mkdirSync(SNIPPETS, { recursive: true });
  dir = mkdtempSync(path.join(SNIPPETS, 'run-'));
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.pem'))) copyFileSync(path.join(FIXTURES, file), path.join(dir, file));
  for (const b of blocks) if (b.file !== null) copyFileSync(path.join(ROOT, b.file), path.join(dir, path.basename(b.file)));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  // The parent too, unless another run is using it.
  if (existsSync(SNIPPETS) && readdirSync(SNIPPETS).length === 0) rmSync(SNIPPETS, { recursive: true, force: true });
});

it('finds the code blocks of the docs; the few not run each say why', () => {
  expect(blocks.filter((b) => b.skip === null).length).toBeGreaterThan(25);
  for (const doc of ['peer.md', 'node.md']) expect(blocks.some((b) => b.doc === doc && b.expected.length > 0)).toBe(true);
  const notRun = blocks.filter((b) => b.skip !== null);
  // Page code that needs a browser, mostly (browser.md); the real-browser tests run what they show.
  expect(notRun.length).toBeLessThanOrEqual(9);
  for (const b of notRun) expect(b.skip!.trim().length, `docs/${b.doc}:${b.line}: a not-run marker needs a reason`).toBeGreaterThan(10);
});

for (const doc of DOCS) {
  describe.concurrent(`docs/${doc}`, () => {
    for (const block of blocks.filter((b) => b.doc === doc)) {
      const name = `line ${block.line} (${block.heading})`;
      if (block.skip !== null) continue; // a page-only or long-running block, marked in the doc with its reason
      if (block.file !== null) {
        const file = block.file;
        it(`${name} is ${file}`, () => expect(block.code, `docs/${doc}:${block.line} differs from ${file}`).toBe(readFileSync(path.join(ROOT, file), 'utf8')));
        continue;
      }
      it(name, { timeout: RUN_TIMEOUT + 10_000 }, async () => {
        const file = path.join(dir, `${doc.replace(/\.md$/, '')}-${block.line}.ts`);
        writeFileSync(file, block.code);
        const result = await run(file);
        const where = `docs/${doc}:${block.line}`;
        expect(result.timedOut, `${where} did not exit within ${RUN_TIMEOUT} ms\n${result.stdout}${result.stderr}`).toBe(false);
        expect(result.code, `${where} failed (signal ${result.signal})\n${result.stdout}${result.stderr}`).toBe(0);
        if (block.expected.length === 0) return;
        const actual = result.stdout.split('\n');
        if (actual.at(-1) === '') actual.pop();
        // Where a line matches, show it as its expected form, so the diff shows only real differences.
        const shown = actual.map((line, i) => (i < block.expected.length && matches(block.expected[i]!, line) ? block.expected[i]! : line));
        expect(shown, `${where}: output differs from its "// → " lines${result.stderr ? `\nstderr:\n${result.stderr}` : ''}`).toEqual(block.expected);
      });
    }
  });
}
