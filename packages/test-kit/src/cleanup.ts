// Undoing what a test set up.

/**
 * Disposers registered during a test, run by `run()` (in `afterEach`) last first. Every one
 * runs even when some fail; then the failure is rethrown (one error as it is, several as an
 * AggregateError), so a cleanup that went wrong fails the test instead of leaking.
 */
export class Cleanup {
  readonly #tasks: (() => unknown)[] = [];

  /** Registers `task` (sync or async) to run at the next `run()`. */
  add(task: () => unknown): void {
    this.#tasks.push(task);
  }

  /** Runs and forgets every registered task, last first; rejects with what they threw. */
  async run(): Promise<void> {
    const errors: unknown[] = [];
    while (this.#tasks.length > 0) {
      const task = this.#tasks.pop()!;
      try {
        await task();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'cleanup failed');
  }
}
