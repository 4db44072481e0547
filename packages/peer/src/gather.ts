// Asking many connections the same thing and keeping every answer apart: the one gathering
// loop under a server's group gather and a pool's gather.

/** Options of a gather. */
export interface GatherOptions {
  /**
   * ms every member has to answer, one deadline for all (every request is sent in the same turn
   * with this timeout); default: the owner's `requestTimeout`; 0 for none. A member that does not
   * answer in time gets `TIMEOUT`, and its request is cancelled on its side.
   */
  readonly timeout?: number;
  /** Aborting gives up on the answers still missing (each gets `ABORTED`); those already in are kept. */
  readonly signal?: AbortSignal;
}

/** One member's answer to a gather: its result, or why there is none, and how long it took (ms). */
export type Gathered<T, M> =
  | { readonly member: M; readonly ok: true; readonly value: T; readonly ms: number }
  | { readonly member: M; readonly ok: false; readonly error: Error; readonly ms: number };

/**
 * Asks each of `members` at once with `ask` and resolves with every answer, in the members'
 * order, once the last is in. Never rejects: a member's failure (a throw from `ask` too) is its
 * entry's `error`, as `failed` words it (default: as it is), so one member's error never hides
 * another's answer.
 */
export function gatherEach<M, T>(
  members: readonly M[],
  ask: (member: M) => Promise<T>,
  failed: (error: Error, member: M) => Error = (error) => error,
): Promise<Gathered<T, M>[]> {
  const started = performance.now();
  return Promise.all(
    members.map((member) => {
      let asked: Promise<T>;
      try {
        asked = ask(member);
      } catch (err) {
        asked = Promise.reject(err as Error);
      }
      return asked.then(
        (value): Gathered<T, M> => ({ member, ok: true, value, ms: performance.now() - started }),
        (err: unknown): Gathered<T, M> => ({
          member,
          ok: false,
          error: failed(err instanceof Error ? err : new Error(String(err)), member),
          ms: performance.now() - started,
        }),
      );
    }),
  );
}
