import type { BundleReport, BundleRow } from './bundles.ts';
import { int, markdownTable, ratio } from './format.ts';
import type { Target } from './report.ts';
import { spreadOf } from './spread.ts';

/** kB as packages/browser/build.mjs prints them (1024 bytes), one decimal. */
export const kB = (bytes: number): string => `${(bytes / 1024).toFixed(1)} kB`;

export const BUNDLE_HEADERS = ['bundle', 'version', 'minified', 'gzipped', 'gzipped kB', '× @gotalk/browser'];

const fullGotalk = (b: BundleReport): BundleRow | undefined => b.rows.find((r) => r.gotalk === 'full');

/** The table's rows (terminal and Markdown): each entry's minified and gzipped bytes, and its gzipped size over the full Gotalk bundle's. */
export function bundleRows(b: BundleReport | null | undefined): string[][] {
  if (!b) return [];
  const base = fullGotalk(b)?.gzipped ?? null;
  return b.rows.map((r) =>
    r.minified === null || r.gzipped === null
      ? [r.name, r.version, `n/a (${r.error ?? '?'})`, '', '', '']
      : [r.name, r.version, `${int(r.minified)} B`, `${int(r.gzipped)} B`, kB(r.gzipped), base ? ratio(r.gzipped / base) : ''],
  );
}

/** How the bundles were built, in one line. */
export function bundleMethod(b: BundleReport): string {
  return `esbuild ${b.esbuild} (bundle, minify, platform browser, format ${b.format}, target ${b.target}, no legal comments), gzip level ${b.gzipLevel}`;
}

/** The other libraries' rows, smallest first; null when one of them has no size (it did not build). */
function othersBySize(b: BundleReport): BundleRow[] | null {
  const others = b.rows.filter((r) => r.gotalk === null);
  if (others.length === 0 || others.some((r) => r.gzipped === null)) return null;
  return [...others].sort((x, y) => x.gzipped! - y.gzipped!);
}

/** The target "smallest of the three": the full Gotalk bundle, gzipped, against every other library's; n/a without all three sizes. */
export function bundleTarget(b: BundleReport | null | undefined): Target {
  const name = 'Browser bundle, gzipped: smallest of the three';
  const names = b?.rows.filter((r) => r.gotalk === null).map((r) => r.name) ?? [];
  const rule = `< ${names.length > 0 ? names.join(' and ') : 'the others'}`;
  const others = b ? othersBySize(b) : null;
  const full = b ? fullGotalk(b) : undefined;
  if (!b || !others || !full?.gzipped) {
    return { name, rule, measured: null, shown: 'n/a', verdict: 'n/a', note: b ? 'a bundle did not build' : 'not measured in this run' };
  }
  const smallest = others[0]!;
  const measured = spreadOf([full.gzipped / smallest.gzipped!]);
  return {
    name,
    rule,
    measured,
    shown: `${kB(full.gzipped)} vs ${kB(smallest.gzipped!)}`,
    verdict: full.gzipped < smallest.gzipped! ? 'met' : 'missed',
    note: `${ratio(measured?.median)} ${smallest.name}, the smallest other; one measurement`,
  };
}

/** Where Gotalk stands, from the figures: smallest or not, by how much, and what importing only `connect` keeps. */
function standing(b: BundleReport): string {
  const full = fullGotalk(b);
  const others = othersBySize(b);
  if (!full?.gzipped || !others) return 'Some bundle did not build in this run, so the three cannot be ranked.';
  const list = others.map((r) => `${kB(r.gzipped!)} for ${r.name}`).join(' and ');
  const smallest = others[0]!;
  const largest = others[others.length - 1]!;
  const where =
    full.gzipped < smallest.gzipped!
      ? 'the smallest of the three'
      : full.gzipped > largest.gzipped!
        ? `the largest of the three, ${ratio(full.gzipped / smallest.gzipped!)} the smallest`
        : `not the smallest, ${ratio(full.gzipped / smallest.gzipped!)} ${smallest.name}`;
  const part = b.rows.find((r) => r.gotalk === 'part' && r.gzipped !== null);
  const partly = part
    ? ` A page that imports only \`connect\` from the package entry still pays ${kB(part.gzipped!)}: the Client is a Peer, so a bundler drops only what the page does not name (typed operations, contracts, error classes).`
    : '';
  return `The full @gotalk/browser bundle is ${where}: ${kB(full.gzipped)} gzipped against ${list}.${partly}`;
}

/** The largest source files of the full Gotalk bundle, with their share of its minified bytes; empty without a metafile. */
function topInputs(b: BundleReport, n: number): string {
  const total = b.gotalkInputs.reduce((sum, i) => sum + i.bytes, 0);
  if (total === 0) return '';
  const pct = (bytes: number) => `${Math.round((bytes / total) * 100)}%`;
  const top = b.gotalkInputs.slice(0, n);
  const rest = total - top.reduce((sum, i) => sum + i.bytes, 0);
  const listed = top.map((i) => `\`${i.path.replace(/^packages\//, '')}\` ${int(i.bytes)} B (${pct(i.bytes)})`).join(', ');
  return `${listed}, and ${int(rest)} B (${pct(rest)}) in the ${b.gotalkInputs.length - top.length} other files`;
}

/** Why the full Gotalk bundle weighs what it does: its largest files (from the run) and what they hold. */
function whereTheBytesGo(b: BundleReport): string {
  const top = topInputs(b, 8);
  if (!top) return '';
  return `
**Where Gotalk's bytes go** (esbuild's metafile, minified bytes per source file): ${top}.
It is the peer's own logic: a connection's life and its closing (\`peer.ts\`), serving requests
(\`incoming.ts\`), the frame decoder, the reconnecting client, the handler registry, streams and
outgoing requests with their retries. Nothing Node-only is in it (the build refuses Node
built-ins, and the Node transports, the servers' memory budget, groups and discovery are outside
its module graph), and no helper is left duplicated. Nor is the gap slack in the text. Measured
when this section was written, with the bundle at 17.9 kB: every string emptied and every
property name shortened would leave about 15.0 kB, and the peer and the codec alone
(\`import { Peer } from '@gotalk/peer'\`, same options) come to about 14.0 kB, both above
socket.io-client. What separates them is what the bundle does.
`;
}

/** The "Browser bundles" section of docs/performance.md; its figures come from the run, the rest is written here. */
export function bundleSection(b: BundleReport | null | undefined): string {
  if (!b) {
    return `## Browser bundles

These results hold no browser bundles (a run with \`--only\` leaves them out unless the pattern
matches \`browser bundles\`, and results from before the benchmark measured them have none);
\`npx --yes pnpm@10 bench:bundles\` measures them alone.
`;
  }
  const entries = b.rows.map((r) => `- **${r.name}**: ${r.includes}.`).join('\n');
  return `## Browser bundles

What a page pays for each library's client. One entry file per library imports the client and puts
it on \`globalThis\` (so the bundler drops nothing the client holds), and every entry is bundled the
same way: ${bundleMethod(b)}, the options of \`packages/browser/build.mjs\` for \`gotalk.js\`
without its source map. \`@gotalk/browser\` is bundled from the workspace's TypeScript sources, as
its build does; the others from their published packages. kB are 1024 bytes. Every run measures
them; \`npx --yes pnpm@10 bench:bundles\` measures them alone and prints the table.

${markdownTable(BUNDLE_HEADERS, bundleRows(b))}

${entries}

${standing(b)}

The Gotalk bundle is the whole peer: a page serves handlers that the server calls, streams both
ways with flow control, retries what a busy server asks it to retry, times out and cancels each
request, sends heartbeats and ends a silent connection, holds the server to limits, and
reconnects with requests queued while offline. socket.io-client has reconnection with buffering,
heartbeats, and acknowledgements both ways with timeouts and retries, but no streams; it carries
what Gotalk does not: the HTTP long-polling fallback, WebTransport and namespaces. capnweb has calls
both ways, promise pipelining, streams and limits, but no reconnection, heartbeats or timeouts.
${whereTheBytesGo(b)}`;
}
