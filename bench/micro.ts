// Shared by the micro-benchmarks (codec, peer): the --time argument and table printing.
/**
 * The `--time=ms` argument of a micro-benchmark (`fallback` when absent or not a positive number),
 * and the warm-up that goes with it: a quarter of it, at least 50 ms.
 */
export function benchTime(fallback: number): { readonly timeMs: number; readonly warmupMs: number } {
  const arg = process.argv.find((a) => a.startsWith('--time='));
  const parsed = arg ? Number(arg.slice('--time='.length)) : NaN;
  const timeMs = Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
  return { timeMs, warmupMs: Math.max(50, timeMs / 4) };
}

/**
 * Prints `body` under `header` as an aligned plain-text table; `right[i]` right-aligns column i.
 * Cells past the header's columns (a note) are printed as they are. With `groupBy0`, a blank line
 * separates rows whose first cell changes.
 */
export function printAligned(header: readonly string[], body: readonly string[][], right: readonly boolean[], groupBy0 = false): void {
  const width = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i >= width.length ? c : right[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  let previous = '';
  for (const b of body) {
    if (groupBy0 && previous && b[0] !== previous) console.log('');
    previous = b[0]!;
    console.log(line(b));
  }
}
