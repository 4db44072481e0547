import type { CloseInfo } from '@gotalk/peer';
import type { PoolMember } from './member.ts';

/**
 * Where a job is: waiting for a worker, running on one, or waiting out a retry result's wait;
 * `done` only in the `settle` event.
 */
export type JobState = 'queued' | 'running' | 'retrying' | 'done';

/** One outstanding job, as `pool.jobs()` and the events show it. */
export interface JobInfo {
  /** Its number in this pool, from 1, in the order jobs came. */
  readonly id: number;
  readonly op: string;
  readonly state: JobState;
  /** The worker it runs on (or last ran on); null before its first dispatch. */
  readonly worker: string | null;
  /** Times it was sent to a worker so far. */
  readonly attempts: number;
  /** ms since it was submitted. */
  readonly age: number;
  /** True when it may run again after its worker is lost. */
  readonly repeatable: boolean;
}

/** How many jobs are outstanding, by state. */
export interface JobCounts {
  readonly queued: number;
  readonly running: number;
  readonly retrying: number;
  /** All of them. */
  readonly total: number;
}

/** The events of a pool (`pool.on(event, fn)`). Each job event carries the job as it is then. */
export interface PoolEvents {
  /** A job was sent to `worker` (its attempt number is `job.attempts`). */
  dispatch: { readonly job: JobInfo; readonly worker: string };
  /** `worker` answered the job with a retry result: the job goes to another worker after `wait` ms. */
  retry: { readonly job: JobInfo; readonly worker: string; readonly wait: number };
  /** `worker` went away with the job running; the job, safe to repeat, goes to another worker now. */
  failover: { readonly job: JobInfo; readonly worker: string };
  /** A job ended: with its result (`error` null) or failed. */
  settle: { readonly job: JobInfo; readonly error: Error | null };
  /** A member completed its handshake and takes jobs from now on. */
  join: PoolMember;
  /** A member left: its connection closed (`info`), or it was removed (`info` null). */
  leave: { readonly member: PoolMember; readonly info: CloseInfo | null };
  /**
   * A worker the pool started itself (`pool.start`) is started again, attempt `attempt`, in
   * `delay` ms; `error` says why the previous attempt failed when it did not get as far as a
   * running member.
   */
  restart: { readonly name: string; readonly attempt: number; readonly delay: number; readonly error?: Error };
}
