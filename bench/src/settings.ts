/** What a run measures and for how long: `--quick` (about a minute) or the full run (about six). */
export interface Settings {
  readonly quick: boolean;
  /**
   * Passes over the cases. In each pass the implementations of one case (same transport, size
   * and in-flight count) run one after the other, in alternating order from pass to pass, so
   * each pass gives a ratio measured under the same conditions; a figure is the median of its passes.
   */
  readonly passes: number;
  /** Measured time of each case in each pass, ms. */
  readonly timeMs: number;
  /** Warm-up before each case's measurement in each pass, ms (the connection is already open and warm). */
  readonly warmupMs: number;
  /** Warm-up of each client process once, on opening its connection, ms (lets the JIT settle). */
  readonly openWarmupMs: number;
  /** Echo payload sizes, bytes. */
  readonly sizes: readonly number[];
  /** Requests in flight. */
  readonly inflight: readonly number[];
  /** Transports of the stream case. */
  readonly streamTransports: readonly ('tcp' | 'unix')[];
  /** Time of the connect loop in each pass, ms, and the most connections it opens (ephemeral ports are finite). */
  readonly connectMs: number;
  readonly connectMax: number;
  /** Idle connections held open for the heap measurement. */
  readonly idleConnections: number;
  /** Skip the root build (`--no-build`). */
  readonly build: boolean;
  /** Run only the cases whose id matches (`--only=REGEX`, e.g. `--only="ws gotalk bytes 32 B"`). */
  readonly only: RegExp | null;
}

const numberArg = (args: readonly string[], name: string): number | null => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  const n = a ? Number(a.slice(name.length + 3)) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
};

/** The settings of `npx --yes pnpm@10 bench [--quick] [--time=MS] [--passes=N] [--only=REGEX] [--no-build]`. */
export function parseSettings(argv: readonly string[]): Settings {
  const args = argv.filter((a) => a !== '--');
  const quick = args.includes('--quick');
  const onlyArg = args.find((a) => a.startsWith('--only='));
  const timeMs = numberArg(args, 'time') ?? (quick ? 200 : 300);
  const passes = Math.floor(numberArg(args, 'passes') ?? (quick ? 3 : 8));
  return {
    quick,
    passes,
    timeMs,
    warmupMs: Math.max(50, Math.round(timeMs / 3)),
    openWarmupMs: quick ? 250 : 500,
    sizes: quick ? [32, 65536] : [32, 1024, 65536],
    inflight: [1, 64],
    streamTransports: quick ? ['tcp'] : ['tcp', 'unix'],
    connectMs: quick ? 200 : 300,
    connectMax: 5_000,
    idleConnections: quick ? 500 : 2000,
    build: !args.includes('--no-build'),
    only: onlyArg ? new RegExp(onlyArg.slice('--only='.length)) : null,
  };
}
