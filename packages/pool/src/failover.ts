import { GotalkError } from '@gotalk/peer';
import { PoolError } from './errors.ts';

/**
 * What an attempt's failure means for its job:
 * - `retry`: the worker did not take the job (a retry result, whose wait it carries; or the
 *   connection had no id left): safe to send to another worker, whatever the operation.
 * - `lost`: the worker's connection closed while the job was out: it may have run, or not.
 * - `final`: anything else (the handler's error, a timeout, an abort, a payload too large…):
 *   the job ends with this error.
 */
export type FailureKind = 'retry' | 'lost' | 'final';

/** The kind of an attempt's failure (by code, so errors of another copy of @gotalk/peer count too). */
export function failureKind(error: Error): FailureKind {
  if (!(error instanceof Error) || error instanceof PoolError) return 'final';
  const code = (error as GotalkError).code;
  if (code === 'RETRY_EXHAUSTED' && typeof (error as { wait?: unknown }).wait === 'number') return 'retry';
  if (code === 'ID_EXHAUSTED') return 'retry';
  if (code === 'CLOSED') return 'lost';
  return 'final';
}

/** The wait a retry result asked for, in ms (0 when it left the wait to us, or for a job not taken otherwise). */
export function retryWait(error: Error): number {
  const wait = (error as { wait?: unknown }).wait;
  return typeof wait === 'number' ? wait : 0;
}

/** The text the worker sent with its retry result (the peer's error message, without its "gave up" prefix). */
export function retryText(error: Error): string {
  return error.message.replace(/^gave up after \d+ attempts?: /, '');
}

/** The error of a job lost with `worker`: `WORKER_LOST`, naming it, the connection's error as the cause. */
export function workerLost(worker: string, attempts: number, cause: Error, why: string): PoolError {
  return new PoolError('WORKER_LOST', `worker "${worker}" went away with the job running (${why}): ${cause.message}`, { worker, attempts, cause });
}

/** True for the errors of attempts whose handler ran to its end (a result or its own error): they count as run time. */
export function ranToEnd(error: Error | null): boolean {
  return error === null || (error instanceof GotalkError && error.code === 'REMOTE_ERROR');
}
