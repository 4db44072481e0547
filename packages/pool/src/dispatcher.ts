import { AbortedError, backoff, Emitter, invalidName, RetryExhaustedError, TimeoutError } from '@gotalk/peer';
import { choose } from './choose.ts';
import { PoolError } from './errors.ts';
import type { JobCounts, JobInfo, PoolEvents } from './events.ts';
import { failureKind, ranToEnd, retryText, retryWait, workerLost } from './failover.ts';
import { Histogram } from './figures/histogram.ts';
import type { PoolFigures } from './figures/pool-figures.ts';
import { Job, JobState, type JobHost, type JobTerms } from './job.ts';
import { JobQueue } from './job-queue.ts';
import type { Member } from './member.ts';
import type { PoolRequestOptions, PoolSettings } from './options.ts';

/** Where a pool is: taking jobs, finishing the ones it has (`close()` was called), or done. */
export type PoolState = 'open' | 'closing' | 'closed';

/** The longest delay timers honour. */
export const MAX_DELAY = 0x7fffffff;

/** The pool's events, and whether anyone listens (events and the job views they carry are built only then). */
export interface EventSink {
  readonly emitter: Emitter<PoolEvents>;
  watched(): boolean;
}

/** What the dispatcher needs from its pool. */
export interface DispatchHooks {
  /** The pool's state: jobs are taken only while open. */
  state(): PoolState;
  /** A leaving member ran its last job: take it out. */
  drained(member: Member): void;
}

/**
 * The pool's scheduler: takes jobs, runs each on the member {@link choose} picks or queues it,
 * and decides what an attempt's failure means (see {@link failureKind}): the job ends, waits
 * out a retry result and goes to another member, or goes to another member now because its
 * worker was lost and it is repeatable. Every job it takes ends exactly once (`settle`).
 */
export class Dispatcher {
  /** Called when the last outstanding job ends. */
  idle: (() => void) | null = null;
  readonly host: JobHost;
  readonly #settings: PoolSettings;
  readonly #members: readonly Member[];
  readonly #events: EventSink;
  readonly #hooks: DispatchHooks;
  readonly #queue: JobQueue<Job>;
  readonly #jobs = new Set<Job>();
  #nextId = 1;
  #retrying = 0;
  #completed = 0;
  #failedJobs = 0;
  #retries = 0;
  #failovers = 0;
  #lost = 0;
  readonly #waitTime = new Histogram();
  readonly #runTime = new Histogram();

  /** `members` is the pool's own list, read at each choice. */
  constructor(settings: PoolSettings, members: readonly Member[], events: EventSink, hooks: DispatchHooks) {
    this.#settings = settings;
    this.#members = members;
    this.#events = events;
    this.#hooks = hooks;
    this.#queue = new JobQueue((now) => this.#expire(now));
    this.host = {
      attemptEnded: (job, member, error) => this.#attemptEnded(job, member, error),
      cancel: (job, error) => this.#settle(job, error),
    };
  }

  /** Outstanding jobs. */
  get size(): number {
    return this.#jobs.size;
  }

  /** The outstanding jobs, oldest first. */
  jobs(): JobInfo[] {
    const now = performance.now();
    return [...this.#jobs].map((j) => j.info(now));
  }

  /** How many jobs are outstanding, by state. */
  counts(): JobCounts {
    const queued = this.#queue.length;
    const total = this.#jobs.size;
    return { queued, retrying: this.#retrying, running: total - queued - this.#retrying, total };
  }

  /** The counts since the pool was made, and the wait and run times. */
  totals(): Pick<PoolFigures, 'completed' | 'failed' | 'retries' | 'failovers' | 'lost' | 'waitTime' | 'runTime'> {
    return {
      completed: this.#completed,
      failed: this.#failedJobs,
      retries: this.#retries,
      failovers: this.#failovers,
      lost: this.#lost,
      waitTime: this.#waitTime.summary(),
      runTime: this.#runTime.summary(),
    };
  }

  /** Forgets the wait and run times recorded so far. */
  resetTimes(): void {
    this.#waitTime.reset();
    this.#runTime.reset();
  }

  /** Fails every outstanding job with `error` (a running attempt's result, if it comes, is ignored), and stops the queue's timer. */
  stop(error: Error): void {
    for (const job of [...this.#jobs]) this.#settle(job, error);
    this.#queue.stop();
  }

  /** What a job of `op` gets: a number, its timeouts (`defaultTimeout` unless the request gives one), its attempts, whether it may repeat. */
  terms(op: string, options: PoolRequestOptions, defaultTimeout: number): JobTerms {
    const s = this.#settings;
    return {
      id: this.#nextId++,
      op,
      timeout: Math.min(MAX_DELAY, Math.max(0, options.timeout ?? defaultTimeout)),
      queueTimeout: Math.min(MAX_DELAY, Math.max(0, options.queueTimeout ?? s.queueTimeout)),
      maxAttempts: Math.max(0, options.retries ?? s.retries) + 1,
      repeatable: options.repeatable ?? s.repeatable(op),
      signal: options.signal,
    };
  }

  /** The `CLOSED` error of a pool that is closing or closed. */
  closedError(): PoolError {
    return new PoolError('CLOSED', this.#hooks.state() === 'closed' ? 'the pool is closed' : 'the pool is closing');
  }

  /** Takes a new job: runs it now when a member has room and nothing waits, else queues it (or refuses it: closed, a bad name, already aborted, the queue full). */
  submit(job: Job): void {
    const signal = job.signal;
    const refusal = this.#hooks.state() !== 'open' ? this.closedError() : signal?.aborted ? new AbortedError(signal.reason) : null;
    if (refusal) return this.#refuse(job, refusal);
    if (this.#queue.length === 0) {
      const m = choose(this.#members, null, Date.now(), this.#settings.random);
      if (m) {
        this.#accept(job);
        return this.#run(job, m); // a bad op name fails there, as the peer refuses it
      }
    }
    // Checked before a job waits, so that one that can never be sent does not wait first.
    const bad = invalidName(job.op, 'op');
    if (bad) return this.#refuse(job, bad);
    if (this.#queue.length >= this.#settings.maxQueue) {
      return this.#refuse(job, new PoolError('QUEUE_FULL', `every worker is busy and ${this.#settings.maxQueue} jobs already wait`));
    }
    this.#accept(job);
    this.#enqueue(job, false);
  }

  #accept(job: Job): void {
    this.#jobs.add(job);
    const signal = job.signal;
    if (!signal) return;
    job.onAbort = () => {
      // Running: the peer has the signal too; its attempt fails with ABORTED and the worker is told.
      if (job.state !== JobState.Running) this.#settle(job, new AbortedError(signal.reason));
    };
    signal.addEventListener('abort', job.onAbort, { once: true });
  }

  /** A job refused before it was taken: it fails at once. */
  #refuse(job: Job, error: Error): void {
    job.state = JobState.Done;
    this.#failedJobs++;
    if (this.#events.watched()) this.#events.emitter.emit('settle', { job: job.info(performance.now()), error });
    job.settle(error);
  }

  #enqueue(job: Job, again: boolean): void {
    job.state = JobState.Queued;
    const now = performance.now();
    job.queueDue = Math.min(job.queueTimeout > 0 ? now + job.queueTimeout : Infinity, job.deadline);
    if (again) this.#queue.pushAgain(job);
    else this.#queue.push(job);
  }

  #run(job: Job, m: Member): void {
    const now = performance.now();
    if (job.attempts === 0) this.#waitTime.record(now - job.submittedAt);
    job.state = JobState.Running;
    job.member = m;
    job.attempts++;
    job.startedAt = now;
    m.started(now);
    if (this.#events.watched()) this.#events.emitter.emit('dispatch', { job: job.info(now), worker: m.name });
    const timeout = job.deadline === Infinity ? 0 : Math.max(1, Math.ceil(job.deadline - now));
    try {
      job.start(m, timeout);
    } catch (err) {
      this.#attemptEnded(job, m, err as Error);
    }
  }

  /** Dispatches queued jobs while members have room (after a job ends, a member joins…). */
  pump(): void {
    if (this.#queue.length === 0) return;
    const wallNow = Date.now();
    for (;;) {
      const job = this.#queue.peek();
      if (!job) return;
      const m = choose(this.#members, job.member, wallNow, this.#settings.random);
      if (!m) return;
      this.#queue.shift();
      this.#run(job, m);
    }
  }

  #attemptEnded(job: Job, m: Member, error: Error | null): void {
    const now = performance.now();
    m.ended(now);
    if (job.state === JobState.Running && job.member === m) {
      if (ranToEnd(error)) {
        m.completed++;
        this.#runTime.record(now - job.startedAt);
        m.runTime.record(now - job.startedAt);
      }
      if (error === null) this.#settle(job, null);
      else this.#failed(job, m, error);
    }
    if (m.state === 'leaving' && m.running === 0) this.#hooks.drained(m);
    this.pump();
  }

  /** An attempt failed: the job ends, or goes to another worker (after a retry result's wait). */
  #failed(job: Job, m: Member, error: Error): void {
    const kind = failureKind(error);
    if (kind === 'final') return this.#settle(job, error);
    const lost = kind === 'lost';
    if (lost) m.lost++;
    else m.retried++;
    const wait = retryWait(error);
    const exhausted = job.attempts >= job.maxAttempts;
    if (!job.restartable || (lost && (!job.repeatable || exhausted))) {
      const why = !job.restartable ? 'its result had begun' : !job.repeatable ? 'not declared repeatable' : `${job.attempts} attempts made`;
      return this.#settle(job, lost ? workerLost(m.name, job.attempts, error, why) : error);
    }
    if (exhausted) return this.#settle(job, new RetryExhaustedError(job.attempts, wait, `worker "${m.name}" asked to retry: ${retryText(error)}`));
    if (lost) {
      this.#failovers++;
      if (this.#events.watched()) this.#events.emitter.emit('failover', { job: job.info(performance.now()), worker: m.name });
      return this.#again(job, m);
    }
    this.#retries++;
    const delay = Math.min(wait > 0 ? wait : backoff(job.attempts), MAX_DELAY);
    if (this.#events.watched()) this.#events.emitter.emit('retry', { job: job.info(performance.now()), worker: m.name, wait: delay });
    job.state = JobState.Retrying;
    this.#retrying++;
    // A wait that reaches past the job's deadline ends in TIMEOUT at the deadline, not in another attempt.
    const remaining = job.deadline - performance.now();
    const expires = delay >= remaining;
    job.timer = setTimeout(
      () => {
        job.timer = null;
        this.#retrying--;
        job.state = JobState.Queued; // between states: not in the queue, about to be dispatched or queued
        if (expires || performance.now() >= job.deadline) return this.#settle(job, this.#timedOut(job), true);
        this.#again(job, m);
      },
      Math.max(0, expires ? remaining : delay),
    );
  }

  /** Sends a job that ran before to another member than `avoid` if one has room, else queues it ahead of new jobs. */
  #again(job: Job, avoid: Member): void {
    if (this.#hooks.state() === 'closed') return this.#settle(job, this.closedError(), true);
    const m = choose(this.#members, avoid, Date.now(), this.#settings.random);
    if (m) this.#run(job, m);
    else this.#enqueue(job, true);
  }

  #timedOut(job: Job): TimeoutError {
    return new TimeoutError(`request "${job.op}" timed out after ${job.timeout} ms`);
  }

  /** The queue's timer: jobs past their queue deadline (or their own) leave it. */
  #expire(now: number): void {
    for (const job of [...this.#queue]) {
      if (job.queueDue > now) continue;
      const error =
        now >= job.deadline
          ? this.#timedOut(job)
          : new PoolError('QUEUE_TIMEOUT', `no worker took the job within ${job.queueTimeout} ms`, { attempts: job.attempts });
      this.#settle(job, error);
    }
    this.#queue.rearm(now);
  }

  /**
   * Ends a job once, with its result or `error`: out of its state (the queue, a retry's wait, a
   * running attempt, whose result is then ignored), then the caller is told. `detached`: the job is in none
   * of those (between a retry's wait and its next dispatch).
   */
  #settle(job: Job, error: Error | null, detached = false): void {
    if (job.state === JobState.Done) return;
    if (!detached) {
      if (job.state === JobState.Queued) this.#queue.removed();
      else if (job.state === JobState.Retrying) {
        clearTimeout(job.timer);
        job.timer = null;
        this.#retrying--;
      } // still running (close's timeout): its result, if it comes, is ignored
    }
    job.state = JobState.Done;
    this.#jobs.delete(job);
    if (job.onAbort) job.signal!.removeEventListener('abort', job.onAbort);
    job.onAbort = null;
    if (error) {
      this.#failedJobs++;
      if ((error as PoolError).code === 'WORKER_LOST') this.#lost++;
    } else this.#completed++;
    if (this.#events.watched()) this.#events.emitter.emit('settle', { job: job.info(performance.now()), error });
    job.settle(error);
    if (this.#jobs.size === 0) this.idle?.();
  }
}
