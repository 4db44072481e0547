// The API reference builds with every export documented: TypeDoc's validation over the library
// packages (typedoc.json treats a missing doc comment or a broken link as an error), nothing emitted.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TYPEDOC = fileURLToPath(new URL('../node_modules/typedoc/bin/typedoc', import.meta.url));

test('every export of the library packages has a doc comment, and every link in them resolves', async () => {
  const result = await promisify(execFile)(process.execPath, [TYPEDOC, '--emit', 'none'], { cwd: ROOT, timeout: 120_000 }).catch(
    (err: { stdout: string; stderr: string; code: number }) => err,
  );
  expect(`${result.stdout}${result.stderr}`).toBe('');
}, 150_000);
