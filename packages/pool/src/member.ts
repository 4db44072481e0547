import type { Connection } from '@gotalk/peer';
import { Histogram, type HistogramSummary } from './figures/histogram.ts';

/**
 * Where a member is: `joining` (its handshake is not done: not chosen yet), `open` (chosen for
 * jobs), `leaving` (`remove()` was called: no new jobs, its running ones finish), `gone` (out of
 * the pool: removed, or its connection closed).
 */
export type MemberState = 'joining' | 'open' | 'leaving' | 'gone';

/** How a member joins: its name in jobs, errors and figures, and its cap. */
export interface MemberOptions {
  /** Unique among the members present (a taken name gets `#2`, `#3`… appended); default `worker-<n>`. */
  readonly name?: string;
  /** Jobs in flight to it at once, an integer ≥ 1 (default: the pool's `concurrency`). */
  readonly concurrency?: number;
  /** The groups it joins at once (see `Pool.join`). */
  readonly groups?: readonly string[];
}

/** One member's figures (see {@link PoolMember.figures}). */
export interface MemberFigures {
  readonly name: string;
  readonly state: MemberState;
  readonly concurrency: number;
  /** Jobs running on it now. */
  readonly running: number;
  /** Its last reported load as a fraction (0..1), or null when it reported none or the report is stale. */
  readonly load: number | null;
  /** ms since its last heartbeat, or null before any. */
  readonly loadAge: number | null;
  /** Attempts that ended with a result or with its handler's error (both count as run). */
  readonly completed: number;
  /** Attempts it answered with a retry result. */
  readonly retried: number;
  /** Attempts lost when its connection closed under them. */
  readonly lost: number;
  /** Fraction of its time in the pool with at least one job running (0..1). */
  readonly utilization: number;
  /** Run times of its attempts that completed, in ms. */
  readonly runTime: HistogramSummary;
}

/** A member of a pool, as the pool's users see it. */
export interface PoolMember {
  readonly name: string;
  /** Its connection; the pool sends jobs through it. */
  readonly connection: Connection;
  /** Jobs in flight to it at once. */
  readonly concurrency: number;
  /** Jobs running on it now. */
  readonly running: number;
  readonly state: MemberState;
  /** Its figures now. */
  figures(): MemberFigures;
}

/** The pool's side of one member: counts, busy time and run times, and its reported load. */
export class Member implements PoolMember {
  running = 0;
  state: MemberState = 'joining';
  completed = 0;
  retried = 0;
  lost = 0;
  readonly runTime = new Histogram();
  /** The pool started this member (a factory's): the pool closes it when it is done with it. */
  readonly owned: boolean;
  readonly joinedAt = performance.now();
  #leftAt = 0;
  #busySince = 0;
  #busy = 0;

  constructor(
    readonly name: string,
    readonly connection: Connection,
    readonly concurrency: number,
    readonly staleLoad: number,
    owned: boolean,
  ) {
    this.owned = owned;
  }

  /** True while the pool may send it one more job now. */
  get available(): boolean {
    return this.state === 'open' && this.running < this.concurrency && this.connection.open;
  }

  /** A job starts on it. */
  started(now: number): void {
    if (this.running++ === 0) this.#busySince = now;
  }

  /** A job's attempt on it ended. */
  ended(now: number): void {
    if (--this.running === 0) this.#busy += now - this.#busySince;
  }

  /** It is out of the pool. */
  left(now: number): void {
    this.state = 'gone';
    this.#leftAt = now;
  }

  /** ms it has spent with a job running, up to `now`. */
  busyTime(now: number): number {
    return this.#busy + (this.running > 0 ? now - this.#busySince : 0);
  }

  /** ms it has been in the pool, up to `now` (or until it left). */
  lifetime(now: number): number {
    return (this.state === 'gone' ? this.#leftAt : now) - this.joinedAt;
  }

  /** Its reported load as a fraction, when it reported one within `staleLoad` ms of `wallNow` (ms since the epoch); else null. */
  load(wallNow: number): number | null {
    const beat = this.connection.remoteHeartbeat;
    if (!beat || this.staleLoad === 0 || wallNow - beat.receivedAt > this.staleLoad) return null;
    return beat.load / 0xffff;
  }

  figures(): MemberFigures {
    const now = performance.now();
    const wallNow = Date.now();
    const beat = this.connection.remoteHeartbeat;
    const life = this.lifetime(now);
    return {
      name: this.name,
      state: this.state,
      concurrency: this.concurrency,
      running: this.running,
      load: this.load(wallNow),
      loadAge: beat ? Math.max(0, wallNow - beat.receivedAt) : null,
      completed: this.completed,
      retried: this.retried,
      lost: this.lost,
      utilization: life > 0 ? Math.min(1, this.busyTime(now) / life) : 0,
      runTime: this.runTime.summary(),
    };
  }
}
