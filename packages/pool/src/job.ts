import type { RequestOptions } from '@gotalk/peer';
import type { JobInfo, JobState as JobStateName } from './events.ts';
import type { Queueable } from './job-queue.ts';
import type { Member } from './member.ts';

/** Where a job is in its life (a const enum: names here, small numbers in the output). */
export const enum JobState {
  /** In the queue, waiting for a worker with a free slot. */
  Queued,
  /** An attempt is running on `member`. */
  Running,
  /** Waiting out the wait a retry result asked for, before it is dispatched again. */
  Retrying,
  /** Settled: resolved or failed, once. */
  Done,
}

/** An empty payload, never written to. */
const EMPTY_RESULT = new Uint8Array(0);

const STATE_NAMES: readonly JobStateName[] = ['queued', 'running', 'retrying', 'done'];

/** What a job needs from its pool. */
export interface JobHost {
  /** The attempt of `job` on `member` ended: with a result (`error` null) or not. */
  attemptEnded(job: Job, member: Member, error: Error | null): void;
  /** The caller gave up on `job` (a stream it stopped reading before it ran): the pool settles it with `error`. */
  cancel(job: Job, error: Error): void;
}

/** What the pool decided about a job when it was submitted. */
export interface JobTerms {
  readonly id: number;
  readonly op: string;
  /** ms for the whole job (0: none). */
  readonly timeout: number;
  /** ms it may wait in the queue (0: no limit of its own). */
  readonly queueTimeout: number;
  /** Times it may be sent to a worker in all. */
  readonly maxAttempts: number;
  readonly repeatable: boolean;
  readonly signal: AbortSignal | undefined;
}

/**
 * One piece of work for the pool: what to send, and the bookkeeping of where it is. The pool
 * moves it between states and decides on failover; a subclass runs an attempt on a member
 * (`start`, which ends with `host.attemptEnded`) and hands the result to the caller (`settle`).
 */
export abstract class Job implements Queueable {
  readonly id: number;
  readonly op: string;
  readonly submittedAt = performance.now();
  /** When the whole job times out (performance.now() ms), or Infinity. */
  readonly deadline: number;
  readonly timeout: number;
  readonly queueTimeout: number;
  readonly maxAttempts: number;
  readonly repeatable: boolean;
  readonly signal: AbortSignal | undefined;
  state = JobState.Queued;
  /** When it must leave the queue, while queued (performance.now() ms). */
  queueDue = Infinity;
  attempts = 0;
  /** The member of its current (or last) attempt. */
  member: Member | null = null;
  /** When the current attempt started. */
  startedAt = 0;
  /** The retry wait's timer, while retrying. */
  timer: unknown = null;
  /** The abort listener on the caller's signal, while the job is outstanding. */
  onAbort: (() => void) | null = null;

  constructor(
    protected readonly host: JobHost,
    terms: JobTerms,
  ) {
    this.id = terms.id;
    this.op = terms.op;
    this.timeout = terms.timeout;
    this.deadline = terms.timeout > 0 ? this.submittedAt + terms.timeout : Infinity;
    this.queueTimeout = terms.queueTimeout;
    this.maxAttempts = terms.maxAttempts;
    this.repeatable = terms.repeatable;
    this.signal = terms.signal;
  }

  /** For the queue: true while waiting in it. */
  get queued(): boolean {
    return this.state === JobState.Queued;
  }

  /** False once it must not be sent again whatever happens (a stream whose result has begun). */
  get restartable(): boolean {
    return true;
  }

  /** Runs one attempt on `member`, with `timeout` ms left (0: none); ends with `host.attemptEnded`. */
  abstract start(member: Member, timeout: number): void;

  /** Hands the outcome to the caller, once: the last attempt's result, or `error`. */
  abstract settle(error: Error | null): void;

  /** The job as `pool.jobs()` shows it. */
  info(now: number): JobInfo {
    return {
      id: this.id,
      op: this.op,
      state: STATE_NAMES[this.state]!,
      worker: this.member?.name ?? null,
      attempts: this.attempts,
      age: now - this.submittedAt,
      repeatable: this.repeatable,
    };
  }
}

/**
 * A peer's options for one attempt. The caller's signal goes to the peer as it is: aborting it
 * fails the attempt with ABORTED and tells the worker (the cancel extension). No signal of the
 * pool's own: an AbortController per job costs more than the rest of the pool's work on a job.
 */
export function attemptOptions(retries: number, timeout: number, signal: AbortSignal | undefined): RequestOptions {
  return signal ? { retries, timeout, signal } : { retries, timeout };
}

/** A single request: one payload in, one payload out. */
export class RequestJob extends Job {
  readonly promise: Promise<Uint8Array>;
  #resolve!: (payload: Uint8Array) => void;
  #reject!: (error: Error) => void;
  #payload: Uint8Array;
  #result: Uint8Array = EMPTY_RESULT;

  constructor(host: JobHost, terms: JobTerms, payload: Uint8Array) {
    super(host, terms);
    this.#payload = payload;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  start(member: Member, timeout: number): void {
    // retries: 0: a retry result comes back at once (with its wait), and the pool moves the job.
    member.connection.requestBytes(this.op, this.#payload, attemptOptions(0, timeout, this.signal)).then(
      (result) => {
        this.#result = result;
        this.host.attemptEnded(this, member, null);
      },
      (error: Error) => this.host.attemptEnded(this, member, error),
    );
  }

  settle(error: Error | null): void {
    if (error) this.#reject(error);
    else this.#resolve(this.#result);
    this.#payload = this.#result = EMPTY_RESULT;
  }
}
