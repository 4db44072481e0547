/**
 * Resolves once `cond()` holds, checked after every turn of the event loop (`setImmediate`),
 * in real time: for tests whose timers and clocks are fake (vi fake timers leave setImmediate
 * and I/O alone) and that wait for bytes to cross a real connection. Rejects after `ms` ms of
 * real time, naming `what`.
 */
export async function waitForIo(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = process.hrtime.bigint() + BigInt(ms) * 1_000_000n;
  while (!cond()) {
    if (process.hrtime.bigint() > end) throw new Error(`timed out after ${ms} ms (real time) waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
