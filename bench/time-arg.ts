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
