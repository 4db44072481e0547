// Fake time for tests that prove something does not happen (a timer that must not fire, a link
// that must stay up) by moving the clock past it instead of sleeping.
import { vi } from 'vitest';

/**
 * What {@link useFakeClocks} fakes: every timer and clock the packages measure time with
 * (`performance.now()` included). Microtasks, `process.nextTick`, `setImmediate` and I/O stay
 * real, so in-memory pipes and sockets still deliver.
 */
export const FAKE_CLOCKS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] as const;

/**
 * Installs vi's fake timers for {@link FAKE_CLOCKS}; undo with `vi.useRealTimers()` (in
 * `afterEach`). Timers set before it stay real, and clearing one still clears it.
 */
export function useFakeClocks(): void {
  vi.useFakeTimers({ toFake: [...FAKE_CLOCKS], shouldClearNativeTimers: true });
}
