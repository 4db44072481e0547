/**
 * A token bucket: holds up to `burst` tokens and gains `perSecond` a second. Refilled from the
 * clock when asked, so an idle bucket costs no timer.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = burst;
    this.#at = now();
  }

  /** Takes one token and returns true, or returns false (and takes nothing) when the bucket is empty. */
  take(): boolean {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.perSecond);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
