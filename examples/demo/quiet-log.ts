import { TokenBucket } from './token-bucket.ts';

/**
 * Log lines for events strangers can cause (connections coming and going): at most a burst of
 * them and a few a second are printed; the others are counted, and their number is printed in one
 * line a little later. A flood of connections costs the terminal a line every 2 s.
 */
export class QuietLog {
  readonly #bucket: TokenBucket;
  #untold = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** `after` is appended to the line that counts the lines not printed (the connections open, say). */
  constructor(
    private readonly print: (line: string) => void = console.log,
    private readonly after: () => string = () => '',
    burst = 20,
    perSecond = 5,
  ) {
    this.#bucket = new TokenBucket(burst, perSecond);
  }

  /** Prints `text`, or counts it when lines come too fast. */
  line(text: string): void {
    if (this.#bucket.take()) return this.print(text);
    this.#untold++;
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.print(`… and ${this.#untold} more like these${this.after()}`);
      this.#untold = 0;
    }, 2000);
    this.#timer.unref();
  }
}
