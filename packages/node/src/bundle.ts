import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

/** The browser library, ready to serve: its bytes, a gzipped copy and an ETag. */
export interface Bundle {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}

/** Makes a servable bundle from the script's source. */
export function makeBundle(source: Buffer | string): Bundle {
  const body = typeof source === 'string' ? Buffer.from(source) : source;
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, gzip: gzipSync(body, { level: 9 }), etag };
}

/**
 * Loads the IIFE bundle that `@gotalk/browser` builds (`gotalk.js`), or null when that package
 * is not installed or not built.
 */
export async function loadBrowserBundle(): Promise<Bundle | null> {
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve('@gotalk/browser/gotalk.js');
    return makeBundle(await readFile(path));
  } catch {
    return null;
  }
}
