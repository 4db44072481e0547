// The demo's contracts for the page: contract.ts bundled with zod and the few @gotalk/peer
// functions it uses into one script that sets the global `demoContracts`, served as /contract.js.
// Made once when the server starts, so the page and the server never disagree on a schema.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** contract.ts as a minified browser script defining `demoContracts` (`demoServer`, `demoPage`, `MAX`, `PRIMES`, `text`). */
export async function bundleContracts(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./contract.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    globalName: 'demoContracts',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.contents;
}
