import { GotalkError } from '@gotalk/peer';

/**
 * Stable codes of {@link PoolError}; code on these, never on messages.
 * - `QUEUE_FULL`: every worker is at its cap and `maxQueue` jobs already wait: refused at once.
 * - `QUEUE_TIMEOUT`: the job waited its `queueTimeout` in the queue and no worker took it.
 * - `WORKER_LOST`: the worker running the job went away (its connection closed) while the job
 *   ran, and the job is not declared safe to repeat, or its attempts are used up; `worker`
 *   names that worker. The job may or may not have run there.
 * - `CLOSED`: the pool is closing or closed: a new job is refused, and a job still outstanding
 *   when `close()`'s timeout passes fails with it.
 *
 * A pooled request also fails with the peer's own codes, as a peer's request would: `TIMEOUT`,
 * `ABORTED`, `REMOTE_ERROR` (the worker's handler failed: never repeated elsewhere),
 * `RETRY_EXHAUSTED` (every attempt got a retry result), `PAYLOAD_TOO_LARGE`, `INVALID_NAME`…
 */
export type PoolErrorCode = 'QUEUE_FULL' | 'QUEUE_TIMEOUT' | 'WORKER_LOST' | 'CLOSED';

/** A job the pool could not complete for a reason of its own (see {@link PoolErrorCode}). */
export class PoolError extends GotalkError<PoolErrorCode> {
  override name = 'PoolError';
  /** The worker concerned (`WORKER_LOST`: the one that went away), when there is one. */
  readonly worker: string | undefined;
  /** How many times the job was sent to a worker before it failed. */
  readonly attempts: number;

  constructor(code: PoolErrorCode, message: string, details: { worker?: string; attempts?: number; cause?: unknown } = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.worker = details.worker;
    this.attempts = details.attempts ?? 0;
  }
}
