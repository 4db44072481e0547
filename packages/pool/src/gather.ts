import { GotalkError, type Gathered } from '@gotalk/peer';
import { PoolError } from './errors.ts';
import type { PoolMember } from './member.ts';

export type { GatherOptions } from '@gotalk/peer';

/** One member's answer to a gather: its result, or why there is none. */
export type GatherResult<T> =
  { readonly worker: string; readonly ok: true; readonly value: T } | { readonly worker: string; readonly ok: false; readonly error: Error };

/** A gather's entry (see `Audience.gather` of `@gotalk/peer`) as the pool's `gather` words it: by the worker's name. */
export function byWorker<T>(entry: Gathered<T, PoolMember>): GatherResult<T> {
  const worker = entry.member.name;
  return entry.ok ? { worker, ok: true, value: entry.value } : { worker, ok: false, error: entry.error };
}

/** A closed connection's error as the pool says it (`WORKER_LOST`, naming the worker); any other as it is. */
export function lostOrAsIs(error: Error, worker: string, attempts = 1): Error {
  if (error instanceof GotalkError && error.code === 'CLOSED' && !(error instanceof PoolError)) {
    return new PoolError('WORKER_LOST', `worker "${worker}" went away: ${error.message}`, { worker, attempts, cause: error });
  }
  return error;
}
