/** How often, at most, a budget that is short re-reads its accounts' unsent bytes (ms). */
const REFRESH_EVERY = 20;

/** One connection's part of a {@link MemoryBudget}: what it holds, so it can all go back at once. */
export interface BudgetAccount {
  /** Bytes this connection holds against the budget now. */
  readonly held: number;
  /** Takes `n` bytes if the budget has room for them; false (nothing taken) when it has not. */
  take(n: number): boolean;
  /** Gives back `n` bytes taken before. */
  free(n: number): void;
  /** Sets the unsent bytes this connection holds (its transport's backlog) to `n`. */
  backlog(n: number): void;
  /**
   * Whether a frame's payload of `size` bytes may be taken in, and takes it if so (a decoder's
   * `admit`): a part (`p`) only for a stream being served (`serving(id)`); new work (`r`, `s`)
   * once this connection's unsent replies are counted afresh, so a burst of requests in one
   * chunk sees the replies of those before it.
   */
  admit(type: string, id: number, size: number, serving: (id: number) => boolean): boolean;
  /** The connection is gone: gives back everything it holds. */
  close(): void;
}

/**
 * A byte budget shared by many connections (a server's): the payloads they hold for handlers
 * (joined requests, buffered stream parts, payloads being gathered) and the replies their
 * transports have not sent yet. A connection takes bytes before it allocates or keeps them and
 * is refused when they do not fit, so the total never grows past `limit` however many
 * connections there are; the peer then answers new work with retry results.
 */
export class MemoryBudget {
  /** The most bytes all connections together may hold. */
  readonly limit: number;
  #used = 0;
  #lastRefresh = -Infinity;
  readonly #refreshers = new Set<() => void>();

  constructor(limit: number) {
    if (!(Number.isInteger(limit) && limit >= 0)) throw new RangeError(`a memory budget must be a whole number of bytes, got ${limit}`);
    this.limit = limit;
  }

  /** Bytes held now, across every connection. */
  get used(): number {
    return this.#used;
  }

  /** True when nothing more fits. */
  get exhausted(): boolean {
    return this.#used >= this.limit;
  }

  /** Opens an account for one connection. `unsent` reads its unsent bytes afresh (queued and in its transport). */
  account(unsent: () => number = () => 0): BudgetAccount {
    let payloads = 0;
    let backlog = 0;
    let open = true;
    // Arrow functions: they reach this budget's private state through `this`. `held` is a field
    // kept up to date, not a getter: V8 keeps an object literal that has a getter in dictionary mode.
    const account: BudgetAccount & { held: number } = {
      held: 0,
      take: (n) => {
        if (!open || !this.#fits(n)) return false;
        payloads += n;
        account.held = payloads + backlog;
        this.#used += n;
        return true;
      },
      free: (n) => {
        if (!open) return;
        const k = Math.min(n, payloads);
        payloads -= k;
        account.held = payloads + backlog;
        this.#used -= k;
      },
      backlog: (n) => {
        if (!open) return;
        this.#used += n - backlog;
        backlog = n;
        account.held = payloads + backlog;
      },
      admit: (type, id, size, serving) => {
        if (type === 'p') return serving(id) && account.take(size);
        if (type === 'r' || type === 's') refresh();
        return account.take(size);
      },
      close: () => {
        if (!open) return;
        this.#used -= payloads + backlog;
        payloads = backlog = 0;
        account.held = 0;
        open = false;
        this.#refreshers.delete(refresh);
      },
    };
    const refresh = () => account.backlog(unsent());
    this.#refreshers.add(refresh);
    return account;
  }

  #fits(n: number): boolean {
    if (this.#used + n <= this.limit) return true;
    // Backlogs drain without telling (a socket emits `drain` only after a refused write): read
    // them again before refusing, but not on every refusal of a flood.
    const now = performance.now();
    if (now - this.#lastRefresh < REFRESH_EVERY) return false;
    this.#lastRefresh = now;
    for (const refresh of this.#refreshers) refresh();
    return this.#used + n <= this.limit;
  }
}
