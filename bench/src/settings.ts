/** What a run measures and for how long: `--quick` (under a minute) or the full run (under ten). */
export interface Settings {
  readonly quick: boolean;
  /** Rounds over all cases; each case reports its best round (least disturbed by other work). */
  readonly rounds: number;
  /** Measured time of each case in each round, ms. */
  readonly timeMs: number;
  /** Warm-up before each case's measurement, ms. */
  readonly warmupMs: number;
  /** Echo payload sizes, bytes. */
  readonly sizes: readonly number[];
  /** Requests in flight. */
  readonly inflight: readonly number[];
  /** Transports of the stream case. */
  readonly streamTransports: readonly ('tcp' | 'unix')[];
  /** Time of the connect loop, ms, and the most connections it opens (ephemeral ports are finite). */
  readonly connectMs: number;
  readonly connectMax: number;
  /** Idle connections held open for the heap measurement. */
  readonly idleConnections: number;
  /** Skip the root build (`--no-build`). */
  readonly build: boolean;
  /** Run only the cases whose id matches (`--only=REGEX`, e.g. `--only="ws gotalk bytes 32 B"`). */
  readonly only: RegExp | null;
}

export function parseSettings(argv: readonly string[]): Settings {
  const args = argv.filter((a) => a !== '--');
  const quick = args.includes('--quick');
  const onlyArg = args.find((a) => a.startsWith('--only='));
  const timeArg = args.find((a) => a.startsWith('--time='));
  const time = timeArg ? Number(timeArg.slice('--time='.length)) : NaN;
  const timeMs = Number.isFinite(time) && time > 0 ? time : quick ? 400 : 1000;
  const roundsArg = args.find((a) => a.startsWith('--rounds='));
  const rounds = roundsArg ? Math.max(1, Math.floor(Number(roundsArg.slice('--rounds='.length))) || 1) : quick ? 1 : 3;
  return {
    quick,
    rounds,
    timeMs,
    warmupMs: Math.max(100, Math.round(timeMs / 4)),
    sizes: quick ? [32, 65536] : [32, 1024, 65536],
    inflight: [1, 64],
    streamTransports: quick ? ['tcp'] : ['tcp', 'unix'],
    connectMs: quick ? 500 : 1000,
    connectMax: 10_000,
    idleConnections: quick ? 500 : 2000,
    build: !args.includes('--no-build'),
    only: onlyArg ? new RegExp(onlyArg.slice('--only='.length)) : null,
  };
}
