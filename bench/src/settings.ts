/** What a run measures and for how long: `--quick` (under a minute) or the full run (under ten). */
export interface Settings {
  readonly quick: boolean;
  /** Measured time of each case, ms. */
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
}

export function parseSettings(argv: readonly string[]): Settings {
  const args = argv.filter((a) => a !== '--');
  const quick = args.includes('--quick');
  const timeArg = args.find((a) => a.startsWith('--time='));
  const time = timeArg ? Number(timeArg.slice('--time='.length)) : NaN;
  const timeMs = Number.isFinite(time) && time > 0 ? time : quick ? 400 : 2000;
  return {
    quick,
    timeMs,
    warmupMs: Math.max(100, Math.round(timeMs / 4)),
    sizes: quick ? [32, 65536] : [32, 1024, 65536],
    inflight: [1, 64],
    streamTransports: quick ? ['tcp'] : ['tcp', 'unix'],
    connectMs: quick ? 500 : 1500,
    connectMax: 10_000,
    idleConnections: quick ? 500 : 2000,
    build: !args.includes('--no-build'),
  };
}
