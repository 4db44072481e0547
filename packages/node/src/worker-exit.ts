import { NodeError } from './errors.ts';

/** How a worker thread or a child process ended. */
export interface ExitInfo {
  /** Its exit code; null when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended a child process; null otherwise (threads have none). */
  readonly signal: NodeJS.Signals | null;
  /**
   * The uncaught error that ended it, when known: a thread's own (as `Worker` reports it), or
   * the one a child process that called `connectToParent()` reported before dying.
   */
  readonly error: Error | null;
}

/** `exit` as words: `exited with code 1: Error: boom`, `was killed by SIGKILL`. */
export function describeExit(exit: ExitInfo): string {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  return exit.error ? `${how}: ${exit.error.name}: ${exit.error.message}` : how;
}

/**
 * `WORKER_EXITED`: a worker thread or child process ended before its connection was closed (a
 * clean close is one both ends finished; an exit after it is no error). Its fields say how; the
 * uncaught error that ended it, when known, is also its `cause`. A peer over such a worker
 * closes with reason `transport` and this error as its error's `cause`.
 */
export class WorkerExitedError extends NodeError implements ExitInfo {
  override name = 'WorkerExitedError';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error: Error | null;

  /** `who` names the worker in the message (`worker thread 3`, `child process 1234`). */
  constructor(who: string, exit: ExitInfo) {
    super(
      'WORKER_EXITED',
      `${who} ${describeExit(exit)}${exit.exitCode === 0 && !exit.error ? ' before its connection was closed' : ''}`,
      exit.error ? { cause: exit.error } : undefined,
    );
    this.exitCode = exit.exitCode;
    this.signal = exit.signal;
    this.error = exit.error;
  }
}
