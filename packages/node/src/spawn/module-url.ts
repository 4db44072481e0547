import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NodeError } from '../errors.ts';

/** A worker module as a file URL: a URL as it is, a `file:` string parsed, a path resolved against the working directory. */
export function moduleUrl(module: string | URL): URL {
  if (module instanceof URL) return module;
  return module.startsWith('file:') ? new URL(module) : pathToFileURL(resolve(module));
}

/** A loader that runs TypeScript worker modules: `tsx`, the application's own (found from the module's directory). */
export type ModuleLoader = 'tsx';

/**
 * The file URL of tsx's ES module entry `subpath` (`.`: the loader `--import tsx` takes;
 * `./esm/api`: its `tsImport`), from the tsx that `from`'s directory finds: the application's.
 * Throws `SPAWN_FAILED` when there is none.
 */
export function tsxEntry(from: URL, subpath: '.' | './esm/api'): string {
  let manifest: string;
  try {
    manifest = createRequire(from).resolve('tsx/package.json');
  } catch (err) {
    throw new NodeError('SPAWN_FAILED', `loader 'tsx': no tsx is installed where ${fileURLToPath(from)} can find it`, { cause: err });
  }
  type Entry = string | { readonly import?: string | { readonly default?: string }; readonly default?: string } | undefined;
  const entry = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, Entry> }).exports?.[subpath];
  const esm = typeof entry === 'string' ? entry : typeof entry?.import === 'string' ? entry.import : (entry?.import?.default ?? entry?.default);
  if (typeof esm !== 'string') throw new NodeError('SPAWN_FAILED', `loader 'tsx': the tsx at ${dirname(manifest)} has no "${subpath}" entry`);
  return pathToFileURL(join(dirname(manifest), esm)).href;
}
