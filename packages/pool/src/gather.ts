import { GotalkError, type Connection } from '@gotalk/peer';
import { PoolError } from './errors.ts';
import type { Member } from './member.ts';

/** Options of a gather. */
export interface GatherOptions {
  /** ms every member has to answer (default: the pool's `requestTimeout`; 0 none); one that does not gets `TIMEOUT`, and is told to stop. */
  readonly timeout?: number;
  /** Aborting gives up on the answers still missing (each gets `ABORTED`); those already in are kept. */
  readonly signal?: AbortSignal;
}

/** One member's answer to a gather: its result, or why there is none. */
export type GatherResult<T> =
  { readonly worker: string; readonly ok: true; readonly value: T } | { readonly worker: string; readonly ok: false; readonly error: Error };

/**
 * Sends one request to each of `members` at once (past their caps and the queue: a gather is
 * for asking every worker something, not for work) and collects every answer, in the members'
 * order. Never rejects: a member's failure is its entry's `error` (`WORKER_LOST` naming it when
 * its connection closed, the peer's `TIMEOUT` past the deadline, `REMOTE_ERROR`…).
 */
export function gather<T>(members: readonly Member[], ask: (connection: Connection) => Promise<T>): Promise<GatherResult<T>[]> {
  return Promise.all(
    members.map((m) => {
      let asked: Promise<T>;
      try {
        asked = ask(m.connection);
      } catch (err) {
        asked = Promise.reject(err as Error);
      }
      return asked.then(
        (value): GatherResult<T> => ({ worker: m.name, ok: true, value }),
        (err: Error): GatherResult<T> => ({ worker: m.name, ok: false, error: lostOrAsIs(err, m.name) }),
      );
    }),
  );
}

/** A closed connection's error as the pool says it (`WORKER_LOST`, naming the worker); any other as it is. */
export function lostOrAsIs(error: Error, worker: string, attempts = 1): Error {
  if (error instanceof GotalkError && error.code === 'CLOSED' && !(error instanceof PoolError)) {
    return new PoolError('WORKER_LOST', `worker "${worker}" went away: ${error.message}`, { worker, attempts, cause: error });
  }
  return error;
}
