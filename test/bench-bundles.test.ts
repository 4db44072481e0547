// The benchmark's browser bundles (bench/src/bundles.ts) and their section of docs/performance.md
// (bench/src/bundle-report.ts, through bench/src/markdown.ts): real esbuild builds, well under a
// second each, and the generated text from the figures.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleRows, bundleSection, bundleTarget } from '../bench/src/bundle-report.ts';
import { buildEntry, BUNDLE_OPTIONS, ENTRIES, GZIP_LEVEL, measureBundles, type BundleReport, type BundleRow } from '../bench/src/bundles.ts';
import { performanceDoc } from '../bench/src/markdown.ts';
import type { Report } from '../bench/src/report.ts';

const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');
const entry = (name: string) => ENTRIES.find((e) => e.name === name)!;

/** Runs a built IIFE in a fresh context (with the text codecs every browser has) and returns that context's globals. */
async function globalsOf(name: string): Promise<Record<string, unknown>> {
  const { code } = await buildEntry(entry(name));
  const context = createContext({ TextEncoder, TextDecoder });
  runInContext(new TextDecoder().decode(code), context);
  return context as Record<string, unknown>;
}

describe('measureBundles', () => {
  let report: BundleReport;
  beforeAll(async () => {
    report = await measureBundles();
  }, 30_000);

  it('measures every entry with plausible sizes: non-empty, gzipped below minified', () => {
    expect(report.rows.map((r) => r.name)).toEqual(ENTRIES.map((e) => e.name));
    for (const row of report.rows) {
      expect(row.error, row.name).toBeNull();
      expect(row.gzipped!, row.name).toBeGreaterThan(1000);
      expect(row.gzipped!, row.name).toBeLessThan(row.minified!);
    }
    // Importing only `connect` keeps less than the whole page API, but most of it.
    const full = report.rows.find((r) => r.gotalk === 'full')!;
    const part = report.rows.find((r) => r.gotalk === 'part')!;
    expect(part.minified!).toBeLessThan(full.minified!);
    expect(part.minified!).toBeGreaterThan(full.minified! / 2);
  });

  it('says how it built them and which versions it measured', () => {
    const bench = JSON.parse(read('../bench/package.json')) as { devDependencies: Record<string, string> };
    expect(report.esbuild).toBe(esbuild.version);
    expect(report.gzipLevel).toBe(9);
    for (const row of report.rows.filter((r) => r.gotalk === null)) expect(row.version).toBe(bench.devDependencies[row.pkg]);
    const browser = JSON.parse(read('../packages/browser/package.json')) as { version: string };
    expect(report.rows.find((r) => r.gotalk === 'full')!.version).toBe(browser.version);
  });

  it('bundles Gotalk from the workspace sources and reports its files by size', () => {
    const paths = report.gotalkInputs.map((i) => i.path).filter((p) => p !== 'bench/entry.js'); // the entry file itself
    expect(paths).toContain('packages/peer/src/peer.ts');
    expect(paths).toContain('packages/browser/src/client.ts');
    expect(paths.every((p) => p.startsWith('packages/') && !p.includes('/dist/') && !p.startsWith('packages/node/'))).toBe(true);
    const bytes = report.gotalkInputs.map((i) => i.bytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => b - a));
  });
});

describe('the bundles as a page runs them', () => {
  it("the full Gotalk entry's global exposes the client and the peer API", async () => {
    const g = (await globalsOf('@gotalk/browser'))['gotalk'] as Record<string, unknown>;
    expect(typeof g['connect']).toBe('function');
    expect(typeof g['Client']).toBe('function');
    expect(typeof g['Peer']).toBe('function');
    expect(typeof g['defineContract']).toBe('function');
  });

  it('the connect-only entry exposes connect alone', async () => {
    const g = (await globalsOf('@gotalk/browser, connect only'))['gotalk'] as Record<string, unknown>;
    expect(Object.keys(g)).toEqual(['connect']);
    expect(typeof g['connect']).toBe('function');
  });

  it("socket.io-client's and capnweb's entries expose their clients", async () => {
    expect(typeof (await globalsOf('socket.io-client'))['io']).toBe('function');
    const capnweb = (await globalsOf('capnweb'))['capnweb'] as Record<string, unknown>;
    expect(typeof capnweb['newWebSocketRpcSession']).toBe('function');
    expect(typeof capnweb['RpcTarget']).toBe('function');
  });

  it('a bundle that cannot build is a row with its reason, not a failure', async () => {
    const missing = { ...entry('capnweb'), name: 'missing', source: `import 'no-such-package-for-gotalk-bench';\n` };
    const r = await measureBundles([missing]);
    expect(r.rows[0]).toMatchObject({ name: 'missing', minified: null, gzipped: null });
    expect(r.rows[0]!.error).toMatch(/no-such-package-for-gotalk-bench/);
  });
});

describe('the same settings as the Gotalk build and server', () => {
  it('targets what packages/browser/build.mjs targets', () => {
    expect(read('../packages/browser/build.mjs')).toContain(`target: '${BUNDLE_OPTIONS.target}'`);
  });

  it('gzips at the level @gotalk/node serves gotalk.js at', () => {
    expect(read('../packages/node/src/bundle.ts')).toContain(`gzipSync(body, { level: ${GZIP_LEVEL} })`);
  });
});

// ----- the generated text, from figures made up for it -----

const row = (name: string, gotalk: BundleRow['gotalk'], gzipped: number | null): BundleRow => ({
  name,
  pkg: name,
  version: '1.0.0',
  includes: `what ${name} holds`,
  gotalk,
  minified: gzipped === null ? null : gzipped * 3,
  gzipped,
  error: gzipped === null ? 'Could not resolve "x"' : null,
});

const bundles = (gotalk: number, socketIo: number | null, capnweb: number): BundleReport => ({
  esbuild: '0.28.2',
  gzipLevel: 9,
  format: 'iife',
  target: 'es2022',
  rows: [
    row('@gotalk/browser', 'full', gotalk),
    row('@gotalk/browser, connect only', 'part', gotalk - 512),
    row('socket.io-client', null, socketIo),
    row('capnweb', null, capnweb),
  ],
  gotalkInputs: [
    { path: 'packages/peer/src/peer.ts', bytes: 6000 },
    { path: 'packages/peer/src/incoming.ts', bytes: 4000 },
  ],
});

describe('bundleTarget', () => {
  it('is missed when another library is smaller, naming the smallest', () => {
    const t = bundleTarget(bundles(18 * 1024, 13 * 1024, 15 * 1024));
    expect(t).toMatchObject({ verdict: 'missed', rule: '< socket.io-client and capnweb', shown: '18.0 kB vs 13.0 kB' });
    expect(t.note).toContain('socket.io-client');
    expect(t.measured!.median).toBeCloseTo(18 / 13);
  });

  it('is met when Gotalk is smaller than both', () => {
    expect(bundleTarget(bundles(12 * 1024, 13 * 1024, 15 * 1024)).verdict).toBe('met');
  });

  it('is n/a when a bundle did not build or the run left the bundles out', () => {
    expect(bundleTarget(bundles(12 * 1024, null, 15 * 1024))).toMatchObject({ verdict: 'n/a', note: 'a bundle did not build' });
    expect(bundleTarget(null)).toMatchObject({ verdict: 'n/a', note: 'not measured in this run' });
  });
});

describe('bundleRows and bundleSection', () => {
  it('gives bytes, kB and the ratio to the full Gotalk bundle, and the reason of a failed build', () => {
    const rows = bundleRows(bundles(16 * 1024, null, 8 * 1024));
    expect(rows[0]).toEqual(['@gotalk/browser', '1.0.0', '49,152 B', '16,384 B', '16.0 kB', '1.00×']);
    expect(rows[2]).toEqual(['socket.io-client', '1.0.0', 'n/a (Could not resolve "x")', '', '', '']);
    expect(rows[3]![5]).toBe('0.50×');
  });

  it('says where Gotalk stands, from the figures', () => {
    expect(bundleSection(bundles(18 * 1024, 13 * 1024, 15 * 1024))).toContain(
      'The full @gotalk/browser bundle is the largest of the three, 1.38× the smallest: 18.0 kB gzipped against 13.0 kB for socket.io-client and 15.0 kB for capnweb.',
    );
    expect(bundleSection(bundles(14 * 1024, 13 * 1024, 15 * 1024))).toContain('is not the smallest, 1.08× socket.io-client: 14.0 kB');
    expect(bundleSection(bundles(12 * 1024, 13 * 1024, 15 * 1024))).toContain('is the smallest of the three: 12.0 kB');
    expect(bundleSection(bundles(12 * 1024, null, 15 * 1024))).toContain('cannot be ranked');
  });

  it('states the method and where the bytes go', () => {
    const text = bundleSection(bundles(18 * 1024, 13 * 1024, 15 * 1024));
    expect(text).toContain('esbuild 0.28.2 (bundle, minify, platform browser, format iife, target es2022, no legal comments), gzip level 9');
    expect(text).toContain('| @gotalk/browser | 1.0.0 | 55,296 B | 18,432 B | 18.0 kB | 1.00× |');
    expect(text).toContain('- **capnweb**: what capnweb holds.');
    expect(text).toContain('`peer/src/peer.ts` 6,000 B (60%), `peer/src/incoming.ts` 4,000 B (40%), and 0 B (0%) in the 0 other files');
    expect(text).toContain('still pays 17.5 kB');
  });
});

describe('performanceDoc with the bundles', () => {
  // The latest full run's results, as `bench -- --render` reads them; older ones have no bundles.
  const saved = JSON.parse(read('../bench/results/full.json')) as Report;

  it('has the section and the target row when the run measured the bundles', () => {
    const b = bundles(18 * 1024, 13 * 1024, 15 * 1024);
    const doc = performanceDoc({ ...saved, bundles: b, targets: [...saved.targets, bundleTarget(b)] }, 'chart.svg');
    expect(doc).toContain('\n## Browser bundles\n');
    expect(doc).toContain('| Browser bundle, gzipped: smallest of the three | < socket.io-client and capnweb | 18.0 kB vs 13.0 kB | missed |');
    expect(doc.indexOf('## Browser bundles')).toBeLessThan(doc.indexOf('## Where the remaining gaps come from'));
    expect(doc).not.toMatch(/\n\n\n/);
  });

  it('says so when the results hold no bundles', () => {
    const { bundles: _none, ...old } = saved;
    expect(performanceDoc(old, 'chart.svg')).toContain('These results hold no browser bundles');
  });
});
