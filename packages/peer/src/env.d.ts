// The few host services this package uses that every JavaScript runtime we target provides
// (Node, browsers, workers, Deno, Bun). Declared here with only the members used, rather
// than taken from the DOM or Node typings, so nothing else runtime-specific can leak in.
declare function setTimeout(callback: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare function setInterval(callback: () => void, ms: number): unknown;
/** With an argument for the callback (every runtime above passes extra arguments on). */
declare function setInterval<A>(callback: (arg: A) => void, ms: number, arg: A): unknown;
declare function clearInterval(handle: unknown): void;
declare function queueMicrotask(callback: () => void): void;

// A monotonic clock for measuring durations: unlike Date.now(), steps of the wall clock do not move it.
interface Performance {
  now(): number;
}
declare var performance: Performance;

declare class TextEncoder {
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
  throwIfAborted(): void;
}
declare var AbortSignal: {
  prototype: AbortSignal;
};
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}
