import { markdownTable } from './format.ts';
import { busyLine, type Report } from './report.ts';

/** Each target of two runs, matched by name: its median and verdict in each, and whether the verdicts agree. */
export interface Agreement {
  readonly rows: readonly { name: string; before: string; now: string; same: boolean }[];
  /** Targets judged in both runs with the same verdict. */
  readonly same: number;
  /** Targets present in both runs. */
  readonly total: number;
}

/** Compares the verdicts of `previous` and `current`, target by target (those in both runs only). */
export function agreement(previous: Report, current: Report): Agreement {
  const rows = current.targets.flatMap((t) => {
    const p = previous.targets.find((x) => x.name === t.name);
    if (!p) return [];
    return [{ name: t.name, before: `${p.verdict} · ${p.shown}`, now: `${t.verdict} · ${t.shown}`, same: p.verdict === t.verdict }];
  });
  return { rows, same: rows.filter((r) => r.same).length, total: rows.length };
}

/**
 * The page's section on the two latest full runs: how far apart they ran, how busy the machine
 * was in each, and every target's verdict in both. Empty without a previous full run.
 */
export function twoRunsSection(previous: Report | null, current: Report): string {
  if (!previous) return '';
  const a = agreement(previous, current);
  const gapMin = Math.round((Date.parse(current.date) - Date.parse(previous.date)) / 60_000 - current.seconds / 60);
  const when = gapMin <= 5 ? 'back to back' : `${gapMin} minutes apart`;
  const table = markdownTable(
    ['target', `run 1 (ended ${previous.date.slice(11, 16)} UTC)`, `run 2 (ended ${current.date.slice(11, 16)} UTC)`, 'same verdict'],
    a.rows.map((r) => [r.name, r.before, r.now, r.same ? 'yes' : '**no**']),
  );
  return `## Two full runs

The last two full runs (\`npx --yes pnpm@10 bench\`, each rewrites this page and keeps the run before it
in \`bench/results/full-previous.json\`) ran ${when}: run 1 ended at ${previous.date.slice(0, 16).replace('T', ' ')} UTC
(${previous.seconds} s; ${busyLine(previous)}), run 2 at ${current.date.slice(0, 16).replace('T', ' ')} UTC
(${current.seconds} s; ${busyLine(current)}). **${a.same} of ${a.total} targets have the same verdict in
both runs.** Each cell is the verdict and the median (min–max) of that run; the tables above are run 2's.

${table}

`;
}
