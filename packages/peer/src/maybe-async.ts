/** A value or a promise of it. Handlers may answer synchronously; the fast path then allocates no promise. */
export type MaybePromise<T> = T | PromiseLike<T>;

/** True for promises and other thenables. */
export function isPromiseLike<T>(value: MaybePromise<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Applies `fn` to `value` now, or when it settles if it is a promise. */
export function andThen<T, U>(value: MaybePromise<T>, fn: (v: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromiseLike(value) ? Promise.resolve(value).then(fn) : fn(value);
}
