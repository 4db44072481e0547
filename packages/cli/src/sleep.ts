// A sleep for handlers that many requests wait in at once on one signal.

interface Sleepers {
  /** Cancels each sleep waiting on the signal. */
  readonly cancels: Set<(reason: unknown) => void>;
  readonly onAbort: () => void;
}

const bySignal = new WeakMap<AbortSignal, Sleepers>();

/**
 * Resolves after `ms`, or rejects with `signal.reason` once `signal` aborts (at once if it has).
 * However many sleeps wait on one signal, it holds a single abort listener, removed when the
 * last of them ends: `timers/promises` adds one per sleep, and more than ten on a signal that a
 * whole connection shares print a MaxListenersExceededWarning.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let sleepers = bySignal.get(signal);
  if (!sleepers) {
    const cancels = new Set<(reason: unknown) => void>();
    const onAbort = () => {
      bySignal.delete(signal);
      for (const cancel of cancels) cancel(signal.reason);
      cancels.clear();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    sleepers = { cancels, onAbort };
    bySignal.set(signal, sleepers);
  }
  const { cancels, onAbort } = sleepers;
  return new Promise((resolve, reject) => {
    const cancel = (reason: unknown) => {
      clearTimeout(timer);
      reject(reason);
    };
    const timer = setTimeout(() => {
      cancels.delete(cancel);
      if (cancels.size === 0) {
        signal.removeEventListener('abort', onAbort);
        bySignal.delete(signal);
      }
      resolve();
    }, ms);
    cancels.add(cancel);
  });
}
