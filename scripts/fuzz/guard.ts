// Process-wide watch while the fuzzer runs: unhandled rejections and uncaught exceptions (a peer
// must never cause either), and the timers the code under test starts (a closed peer must leave
// none running). Cases run one at a time, so whatever it sees belongs to the current case.

type TimerFn = (...args: unknown[]) => unknown;

/** One installed watch; `uninstall()` puts the process back as it was. */
export class Guard {
  /** Problems seen since the last `take()`. */
  #problems: string[] = [];
  /** Timers started and neither fired (timeouts) nor cleared. */
  readonly #live = new Set<unknown>();
  readonly #restore: (() => void)[] = [];

  constructor() {
    const onRejection = (reason: unknown) => this.#problems.push(`unhandled rejection: ${describe(reason)}`);
    const onException = (err: unknown) => this.#problems.push(`uncaught exception: ${describe(err)}`);
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    this.#restore.push(() => {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    });
    this.#patch('setTimeout', 'clearTimeout', true);
    this.#patch('setInterval', 'clearInterval', false);
  }

  /** Timers of the code under test still pending. */
  get liveTimers(): number {
    return this.#live.size;
  }

  /** The problems seen since the last call, and forgets them. */
  take(): string[] {
    const p = this.#problems;
    this.#problems = [];
    return p;
  }

  /** Stops every timer still pending (after a case that leaked some, so the next starts clean). */
  clearTimers(): void {
    for (const t of this.#live) clearTimeout(t as ReturnType<typeof setTimeout>);
    this.#live.clear();
  }

  uninstall(): void {
    for (const r of this.#restore.splice(0).reverse()) r();
    this.#live.clear();
  }

  #patch(setName: 'setTimeout' | 'setInterval', clearName: 'clearTimeout' | 'clearInterval', once: boolean): void {
    const g = globalThis as unknown as Record<string, TimerFn>;
    const set = g[setName]!;
    const clear = g[clearName]!;
    const live = this.#live;
    const patchedSet = function (this: unknown, fn: unknown, ...rest: unknown[]) {
      if (typeof fn !== 'function') return set.call(this, fn, ...rest);
      // eslint-disable-next-line prefer-const -- the wrapper reads it, and it is set only once the timer exists
      let handle: unknown;
      const wrapped = function (this: unknown, ...args: unknown[]) {
        if (once) live.delete(handle);
        return (fn as TimerFn).apply(this, args);
      };
      handle = set.call(this, wrapped, ...rest);
      live.add(handle);
      return handle;
    };
    const patchedClear = function (this: unknown, handle: unknown) {
      live.delete(handle);
      return clear.call(this, handle);
    };
    Object.assign(patchedSet, set); // keeps setTimeout[util.promisify.custom]
    g[setName] = patchedSet;
    g[clearName] = patchedClear;
    this.#restore.push(() => {
      g[setName] = set;
      g[clearName] = clear;
    });
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}`;
  return String(e);
}
