// The host services this package uses that every JavaScript runtime provides (Node, browsers,
// workers, Deno, Bun), declared with only the members used so that nothing runtime-specific can
// leak in (as in @gotalk/peer). The pool runs wherever its peers do.
declare function setTimeout(callback: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;

// A monotonic clock: job ages, waits and run times do not move when the wall clock steps.
interface Performance {
  now(): number;
}
declare var performance: Performance;

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
