import { describe, expect, test } from 'vitest';
import type { Report, Target, Verdict } from '../bench/src/report.ts';
import { agreement, twoRunsSection } from '../bench/src/two-runs.ts';

const target = (name: string, verdict: Verdict, shown = '1.00× (0.90–1.10)'): Target => ({ name, rule: '≥ 1.0×', measured: null, shown, verdict, note: '' });

/** A report with only what the section reads: its date, length, how busy the machine was, and its targets. */
const report = (date: string, targets: Target[]): Report =>
  ({
    date,
    seconds: 300,
    machine: { cores: 2 },
    busy: { loadStart: 0.2, loadEnd: 0.3, busy: 0.6, ours: 0.55, others: 0.03, steal: 0.02 },
    targets,
  }) as unknown as Report;

describe('two full runs', () => {
  const before = report('2026-12-02T03:00:00.000Z', [target('a', 'met'), target('b', 'too noisy'), target('gone', 'met')]);
  const now = report('2026-12-02T03:05:30.000Z', [target('a', 'met', '1.20× (1.10–1.30)'), target('b', 'missed'), target('new', 'met')]);

  test('matches the targets of both runs by name and counts those with the same verdict', () => {
    const a = agreement(before, now);
    expect(a.total).toBe(2);
    expect(a.same).toBe(1);
    expect(a.rows.map((r) => [r.name, r.same])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(a.rows[0]!.now).toBe('met · 1.20× (1.10–1.30)');
  });

  test('the section says how far apart the runs were and how many verdicts agree, and marks each disagreement', () => {
    const md = twoRunsSection(before, now);
    expect(md).toContain('ran back to back');
    expect(md).toContain('**1 of 2 targets have the same verdict');
    expect(md).toMatch(/\| b \| too noisy · .* \| missed · .* \| \*\*no\*\* \|/);
    const later = report('2026-12-02T05:00:00.000Z', now.targets);
    expect(twoRunsSection(before, later)).toContain('115 minutes apart');
  });

  test('is empty without a run before', () => {
    expect(twoRunsSection(null, now)).toBe('');
  });
});
