import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cleanup } from '../cleanup.ts';

/**
 * A fresh temporary directory, removed with everything in it by `cleanup`. Its path is short
 * (`<tmpdir>/gtk-XXXXXX`): Unix socket paths are limited to about 100 bytes.
 */
export async function tempDir(cleanup: Cleanup): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gtk-'));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
