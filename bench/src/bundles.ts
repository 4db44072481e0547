// The browser bundles of @gotalk/browser, socket.io-client and capnweb, side by side: one tiny
// entry file per library (what a page imports to get a client, put on globalThis so that nothing
// it imports is dropped), every one bundled with the same esbuild options and gzipped at the same
// level. Measures and reports; a bundle that fails to build is a row with its reason.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const ROOT = here('../../');

/** The gzip level of the comparison: the one @gotalk/node serves gotalk.js at (packages/node/src/bundle.ts). */
export const GZIP_LEVEL = 9;

/** What `--only=REGEX` matches to include the bundles in a run. */
export const BUNDLES_ID = 'browser bundles';

/**
 * Resolves `@gotalk/browser/gotalk.mjs` to the source it is built from (src/bundle.ts), and the
 * other workspace packages to their sources, as packages/browser/build.mjs does: no stale dist.
 */
const workspaceSources: esbuild.Plugin = {
  name: 'workspace-sources',
  setup(build) {
    build.onResolve({ filter: /^@gotalk\/browser\/gotalk\.mjs$/ }, () => ({ path: `${ROOT}packages/browser/src/bundle.ts` }));
    build.onResolve({ filter: /^@gotalk\/(protocol|peer|browser)$/ }, ({ path }) => ({
      path: `${ROOT}packages/${path.slice('@gotalk/'.length)}/src/index.ts`,
    }));
  },
};

/**
 * The options every entry is bundled with: those of packages/browser/build.mjs for dist/gotalk.js
 * (minified IIFE, es2022, no legal comments, no `import.meta` in a classic script), without its
 * source map and its build checks.
 */
export const BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  legalComments: 'none',
  define: { 'import.meta.url': 'undefined' },
  metafile: true,
  write: false,
  logLevel: 'silent',
  absWorkingDir: ROOT,
  plugins: [workspaceSources],
} as const satisfies esbuild.BuildOptions;

/** One library's entry file: what a page imports to get a client, put on globalThis. */
export interface BundleEntry {
  /** The row's name. */
  readonly name: string;
  /** The npm package whose version the row shows. */
  readonly pkg: string;
  /** The entry file (JavaScript, resolved from bench/). */
  readonly source: string;
  /** What the entry carries, for the docs. */
  readonly includes: string;
  /** `full`: the Gotalk row the target judges; `part`: Gotalk with only part of its API imported; null: another library. */
  readonly gotalk: 'full' | 'part' | null;
}

/** The entries measured, the full Gotalk client first. */
export const ENTRIES: readonly BundleEntry[] = [
  {
    name: '@gotalk/browser',
    pkg: '@gotalk/browser',
    source: `import * as gotalk from '@gotalk/browser/gotalk.mjs';\nglobalThis.gotalk = { ...gotalk };\n`,
    includes:
      'the page API that the served gotalk.js carries: `connect` and `Client` (reconnection with backoff, requests queued while offline), the whole peer (calls and handlers served in the page, streams both ways, notifications, retries, heartbeats and the silence timeout, limits, cancellation, middleware), typed operations and contracts with their proxy, every error class and the payload helpers',
    gotalk: 'full',
  },
  {
    name: '@gotalk/browser, connect only',
    pkg: '@gotalk/browser',
    source: `import { connect } from '@gotalk/browser';\nglobalThis.gotalk = { connect };\n`,
    includes:
      '`connect` alone from the package entry: what a bundler keeps of it for a page that neither types its operations nor catches error classes by name. The Client is a Peer, so serving, streams, retries and heartbeats stay',
    gotalk: 'part',
  },
  {
    name: 'socket.io-client',
    pkg: 'socket.io-client',
    source: `import { io } from 'socket.io-client';\nglobalThis.io = io;\n`,
    includes:
      '`io()`: the Manager (reconnection with backoff, the namespaces multiplexed on one connection) and its Socket (events, acknowledgements, buffering while disconnected), over engine.io with its HTTP long-polling, WebSocket and WebTransport transports and heartbeats',
    gotalk: null,
  },
  {
    name: 'capnweb',
    pkg: 'capnweb',
    source: `import { newWebSocketRpcSession, RpcTarget } from 'capnweb';\nglobalThis.capnweb = { newWebSocketRpcSession, RpcTarget };\n`,
    includes:
      '`newWebSocketRpcSession` and `RpcTarget` (objects of the page that the server may call): the RPC session (calls both ways, promise pipelining, streams with flow control, limits), its serialization and the WebSocket transport; no reconnection, heartbeats or timeouts',
    gotalk: null,
  },
];

/** The bytes of one bundle built from `entry`, and esbuild's account of its inputs. */
export interface Built {
  readonly code: Uint8Array;
  readonly metafile: esbuild.Metafile;
}

/** Bundles `entry` with {@link BUNDLE_OPTIONS}; rejects with esbuild's errors when it cannot. */
export async function buildEntry(entry: BundleEntry): Promise<Built> {
  const result = await esbuild.build({
    ...BUNDLE_OPTIONS,
    stdin: { contents: entry.source, resolveDir: `${ROOT}bench`, loader: 'js', sourcefile: 'entry.js' },
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild wrote no output');
  return { code: out.contents, metafile: result.metafile };
}

/** One source file's share of a bundle: its path from the repository root and its minified bytes. */
export interface BundleInput {
  readonly path: string;
  readonly bytes: number;
}

/** One entry's figures, or why there are none. */
export interface BundleRow {
  readonly name: string;
  readonly pkg: string;
  readonly version: string;
  readonly includes: string;
  readonly gotalk: BundleEntry['gotalk'];
  readonly minified: number | null;
  readonly gzipped: number | null;
  readonly error: string | null;
}

/** The bundles of a run: how they were built and each entry's sizes. */
export interface BundleReport {
  readonly esbuild: string;
  readonly gzipLevel: number;
  readonly format: string;
  readonly target: string;
  readonly rows: BundleRow[];
  /** The full Gotalk bundle's source files by minified bytes in it, largest first (esbuild's metafile). */
  readonly gotalkInputs: BundleInput[];
}

/** The version in a package's package.json: the workspace's for @gotalk/*, else bench/node_modules'. */
function versionOf(pkg: string): string {
  const file = pkg.startsWith('@gotalk/') ? `${ROOT}packages/${pkg.slice('@gotalk/'.length)}/package.json` : `${ROOT}bench/node_modules/${pkg}/package.json`;
  try {
    return String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version ?? '?');
  } catch {
    return '?';
  }
}

/** The inputs of a bundle's output by the bytes each left in it, largest first. */
export function inputsBySize(metafile: esbuild.Metafile): BundleInput[] {
  const output = Object.values(metafile.outputs)[0];
  if (!output) return [];
  return Object.entries(output.inputs)
    .map(([path, { bytesInOutput }]) => ({ path, bytes: bytesInOutput }))
    .filter((i) => i.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

/** Builds and measures every entry of {@link ENTRIES} (one at a time; each takes well under a second). */
export async function measureBundles(entries: readonly BundleEntry[] = ENTRIES): Promise<BundleReport> {
  const rows: BundleRow[] = [];
  let gotalkInputs: BundleInput[] = [];
  for (const entry of entries) {
    const head = { name: entry.name, pkg: entry.pkg, version: versionOf(entry.pkg), includes: entry.includes, gotalk: entry.gotalk };
    try {
      const built = await buildEntry(entry);
      rows.push({ ...head, minified: built.code.length, gzipped: gzipSync(built.code, { level: GZIP_LEVEL }).length, error: null });
      if (entry.gotalk === 'full') gotalkInputs = inputsBySize(built.metafile);
    } catch (err) {
      const failure = err as { errors?: esbuild.Message[]; message?: string };
      const reason = failure.errors?.[0]?.text ?? failure.message ?? String(err);
      rows.push({ ...head, minified: null, gzipped: null, error: reason });
    }
  }
  return { esbuild: esbuild.version, gzipLevel: GZIP_LEVEL, format: BUNDLE_OPTIONS.format, target: BUNDLE_OPTIONS.target, rows, gotalkInputs };
}
