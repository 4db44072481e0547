import type { MemberFigures } from '../member.ts';
import type { HistogramSummary } from './histogram.ts';

/** A pool's figures now (`pool.figures()`): counts since it was made, times since the last `resetFigures()`. */
export interface PoolFigures {
  /** Members present (joining, open or leaving). */
  readonly members: number;
  /** The caps of the open members, added up: jobs that can run at once now. */
  readonly capacity: number;
  readonly running: number;
  readonly queued: number;
  /** Jobs waiting out a retry result's wait. */
  readonly retrying: number;
  /** Jobs that ended with their result. */
  readonly completed: number;
  /** Jobs that ended with an error (refused ones included). */
  readonly failed: number;
  /** Retry results that sent a job on to another attempt. */
  readonly retries: number;
  /** Jobs sent to another worker after theirs was lost. */
  readonly failovers: number;
  /** Jobs failed with `WORKER_LOST`. */
  readonly lost: number;
  /**
   * Fraction of the members' time in the pool during which they had at least one job running,
   * over every member the pool has had (0..1). Piscina's `utilization` divides run time by
   * capacity instead; with one job per worker at a time the two agree.
   */
  readonly utilization: number;
  /** ms from submission to a job's first dispatch (piscina's `waitTime`). */
  readonly waitTime: HistogramSummary;
  /** ms of every attempt that completed, dispatch to result (piscina's `runTime`). */
  readonly runTime: HistogramSummary;
  readonly workers: readonly MemberFigures[];
}
