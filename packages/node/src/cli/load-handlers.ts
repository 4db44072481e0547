import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handlers } from '@gotalk/peer';
import { UsageError } from './args.ts';

/** What a `--handlers` module default-exports. */
export type HandlersModule = (handlers: Handlers) => void | Promise<void>;

const TS = /\.(?:ts|mts|cts|tsx)$/;
let tsxRegistered = false;

/**
 * Loads a `--handlers` module (JS, or TS through tsx's ESM loader) and calls its default
 * export with the server's registry. Any failure is a usage error naming the module.
 */
export async function loadHandlers(path: string, handlers: Handlers): Promise<void> {
  const file = resolve(path);
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new UsageError(`--handlers: no such file: ${path}`, 'serve');
  if (TS.test(file) && !tsxRegistered) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new UsageError(`--handlers: cannot load ${path}: ${(err as Error)?.message ?? String(err)}`, 'serve');
  }
  if (typeof mod.default !== 'function') {
    throw new UsageError(`--handlers: ${path} must default-export a function (handlers) => void; it exports ${typeof mod.default === 'undefined' ? 'no default' : `a default ${typeof mod.default}`}`, 'serve');
  }
  try {
    await (mod.default as HandlersModule)(handlers);
  } catch (err) {
    throw new UsageError(`--handlers: ${path} failed while registering handlers: ${(err as Error)?.message ?? String(err)}`, 'serve');
  }
}
