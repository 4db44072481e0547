// What went wrong: the error a promise rejects with, or a function throws.

/** An error as tests look at it: its `code` is the API. */
export type TestError = Error & { code?: string };

/**
 * The error `promise` rejects with. If it resolves instead, this rejects (failing the test);
 * a value it resolved with that has a `destroy()` (a connection, say) is destroyed first, so
 * nothing is left open.
 */
export async function errorOf(promise: Promise<unknown>): Promise<TestError> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    return err as TestError;
  }
  const destroy = (value as { destroy?: unknown } | null)?.destroy;
  if (typeof destroy === 'function') (destroy as () => void).call(value);
  throw new Error('expected the promise to reject, but it resolved');
}

/** The error `fn` throws synchronously; throws if it returns instead. */
export function thrownBy(fn: () => unknown): TestError {
  try {
    fn();
  } catch (err) {
    return err as TestError;
  }
  throw new Error('expected the function to throw, but it returned');
}
