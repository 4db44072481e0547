import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handlers } from '@gotalk/node';
import { UsageError } from './args.ts';

/** What a `--handlers` module default-exports. */
export type HandlersModule = (handlers: Handlers) => void | Promise<void>;

const TS = /\.(?:ts|mts|cts|tsx)$/;

/**
 * Imports `file`: JavaScript natively, TypeScript through tsx's ESM API (`tsImport`, which
 * also copes with a `.ts` file outside any `"type": "module"` package, where it is compiled as
 * CommonJS and its exports arrive wrapped in `default`).
 */
async function importModule(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  if (!TS.test(file)) return ((await import(url)) as { default?: unknown }).default;
  const { tsImport } = await import('tsx/esm/api');
  const mod = (await tsImport(url, import.meta.url)) as { default?: unknown };
  return mod.default;
}

/**
 * Loads a `--handlers` module (JS, or TS through tsx) and calls its default export with the
 * server's registry. Any failure is a usage error naming the module.
 */
export async function loadHandlers(path: string, handlers: Handlers): Promise<void> {
  const file = resolve(path);
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new UsageError(`--handlers: no such file: ${path}`, 'serve');
  let fn: unknown;
  try {
    fn = await importModule(file);
  } catch (err) {
    throw new UsageError(`--handlers: cannot load ${path}: ${(err as Error)?.message ?? String(err)}`, 'serve');
  }
  // A CommonJS module compiled from `export default` holds it as `exports.default`.
  if (fn !== null && typeof fn === 'object' && typeof (fn as { default?: unknown }).default === 'function') fn = (fn as { default: unknown }).default;
  if (typeof fn !== 'function') {
    throw new UsageError(
      `--handlers: ${path} must default-export a function (handlers) => void; it exports ${fn === undefined ? 'no default' : `a default ${typeof fn}`}`,
      'serve',
    );
  }
  try {
    await (fn as HandlersModule)(handlers);
  } catch (err) {
    throw new UsageError(`--handlers: ${path} failed while registering handlers: ${(err as Error)?.message ?? String(err)}`, 'serve');
  }
}
