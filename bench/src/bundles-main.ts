// `npx --yes pnpm@10 bench:bundles`: the browser bundles of @gotalk/browser, socket.io-client and
// capnweb alone (as every `npx --yes pnpm@10 bench` run measures them), and where the bytes of
// Gotalk's go. Builds nothing else and writes nothing; measures and prints.
import { BUNDLE_HEADERS, bundleMethod, bundleRows, bundleTarget } from './bundle-report.ts';
import { measureBundles } from './bundles.ts';
import { int, textTable } from './format.ts';

const TOP = 12;

const r = await measureBundles();
const target = bundleTarget(r);
const lines = [
  bundleMethod(r),
  textTable(BUNDLE_HEADERS, bundleRows(r)),
  '',
  `${target.name}: ${target.verdict} (${target.shown}; ${target.note})`,
  '',
  `the largest inputs of the full @gotalk/browser bundle (minified bytes, of ${int(r.gotalkInputs.reduce((s, i) => s + i.bytes, 0))}):`,
  ...r.gotalkInputs.slice(0, TOP).map((i) => `${int(i.bytes).padStart(7)}  ${i.path}`),
  '',
];
process.stdout.write(lines.join('\n'));
