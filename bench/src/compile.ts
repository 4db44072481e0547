import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const done = new Map<string, string>();

/**
 * The benchmark's child script `script` (a path under `src/`, e.g. `servers/gotalk.ts`) compiled
 * once per run to plain JavaScript, `bench/dist/<script without .ts>/<name>.mjs`, with its own
 * sources bundled in and every package left as an import (resolved from `bench/`, so
 * `@gotalk/node` is its build). The output is split at dynamic imports, so a client process loads
 * only the implementation it runs: one file would hoist every package's import to its top, and
 * each client would hold gRPC, socket.io and the rest in its heap whatever it measured.
 * Children run that file with plain `node`, as a deployed service runs its build, not through a
 * TypeScript loader: under tsx's loader a process holds about 2 MB more of heap, and a Gotalk
 * process that loads `@gotalk/node`'s index then sits where Node 20's collector runs a full
 * collection every few milliseconds (64 KiB echoes over TCP, 64 in flight: 70 to 90 in 3 s
 * instead of about 7, and a third fewer requests per second), which would measure the loader
 * rather than the code.
 */
export function compiled(script: string): string {
  const known = done.get(script);
  if (known) return known;
  const outdir = here(`../dist/${script.replace(/\.ts$/, '')}`);
  // Required here, not imported: the child processes load this module too and never build.
  const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  buildSync({
    entryPoints: [here(script)],
    outdir,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
  });
  const outfile = `${outdir}/${basename(script, '.ts')}.mjs`;
  done.set(script, outfile);
  return outfile;
}
