// The sleep of `gotalk serve`'s `sleep` built-in: one abort listener per signal, however many
// requests sleep on it at once.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep } from '../src/sleep.ts';

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('sleep', () => {
  it('50 sleeps on one signal hold one abort listener, removed when the last one ends', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeps = Array.from({ length: 50 }, (_, i) => sleep(20 + i, controller.signal));
    expect(abortListeners(controller.signal)).toBe(1);
    await Promise.all(sleeps);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    expect(abortListeners(controller.signal)).toBe(0);
    // A later sleep on the same signal listens again, and lets go again.
    const again = sleep(1, controller.signal);
    expect(abortListeners(controller.signal)).toBe(1);
    await again;
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('an abort rejects every sleep on the signal with its reason, at once; an aborted signal rejects new sleeps', async () => {
    const controller = new AbortController();
    const sleeps = Array.from({ length: 20 }, () => sleep(60_000, controller.signal));
    const reason = new Error('connection closed');
    controller.abort(reason);
    const results = await Promise.allSettled(sleeps);
    expect(results.every((r) => r.status === 'rejected' && r.reason === reason)).toBe(true);
    expect(abortListeners(controller.signal)).toBe(0);
    await expect(sleep(1, controller.signal)).rejects.toBe(reason);
  });

  it('sleeps on different signals are independent', async () => {
    const a = new AbortController();
    const b = new AbortController();
    const onA = sleep(60_000, a.signal);
    const onB = sleep(10, b.signal);
    a.abort();
    await expect(onA).rejects.toBeDefined();
    await expect(onB).resolves.toBeUndefined();
    expect(abortListeners(b.signal)).toBe(0);
  });
});
