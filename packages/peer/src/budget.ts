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
   * `admit`): a part (`p`) only for a stream being served (`streams.hasStream(id)`); new work (`r`, `s`)
   * once this connection's unsent replies are counted afresh, so a burst of requests in one
   * chunk sees the replies of those before it.
   */
  admit(type: string, id: number, size: number, streams: StreamsServed): boolean;
  /** The connection is gone: gives back everything it holds. */
  close(): void;
}

/** What knows which stream requests a connection is serving (its responder): a part is taken in only for one of them. */
export interface StreamsServed {
  /** True while the stream request `id` is being served. */
  hasStream(id: number): boolean;
}

/** What an account reads its connection's unsent bytes from: a function, or an object with an `unsent` count (a Peer). */
export type UnsentSource = (() => number) | { readonly unsent: number };

const NOTHING_UNSENT = (): number => 0;

/** The state accounts share: the budget's total and the accounts to refresh. Not exported: a budget's own. */
class Ledger {
  used = 0;
  lastRefresh = -Infinity;
  readonly accounts = new Set<Account>();

  constructor(readonly limit: number) {}

  fits(n: number): boolean {
    if (this.used + n <= this.limit) return true;
    // Backlogs drain without telling (a socket emits `drain` only after a refused write): read
    // them again before refusing, but not on every refusal of a flood.
    const now = performance.now();
    if (now - this.lastRefresh < REFRESH_EVERY) return false;
    this.lastRefresh = now;
    for (const account of this.accounts) account.refresh();
    return this.used + n <= this.limit;
  }
}

/**
 * One connection's account. A class with its operations on the prototype: an object of
 * closures cost about 0.45 kB per connection, and `held` is a field kept up to date (V8 keeps
 * an object literal with a getter in dictionary mode).
 */
class Account implements BudgetAccount {
  held = 0;
  #payloads = 0;
  #backlog = 0;
  #open = true;
  readonly #ledger: Ledger;
  readonly #unsent: UnsentSource;

  constructor(ledger: Ledger, unsent: UnsentSource) {
    this.#ledger = ledger;
    this.#unsent = unsent;
    ledger.accounts.add(this);
  }

  take(n: number): boolean {
    if (!this.#open || !this.#ledger.fits(n)) return false;
    this.#payloads += n;
    this.held = this.#payloads + this.#backlog;
    this.#ledger.used += n;
    return true;
  }

  free(n: number): void {
    if (!this.#open) return;
    const k = Math.min(n, this.#payloads);
    this.#payloads -= k;
    this.held = this.#payloads + this.#backlog;
    this.#ledger.used -= k;
  }

  backlog(n: number): void {
    if (!this.#open) return;
    this.#ledger.used += n - this.#backlog;
    this.#backlog = n;
    this.held = this.#payloads + this.#backlog;
  }

  admit(type: string, id: number, size: number, streams: StreamsServed): boolean {
    if (type === 'p') return streams.hasStream(id) && this.take(size);
    if (type === 'r' || type === 's') this.refresh();
    return this.take(size);
  }

  close(): void {
    if (!this.#open) return;
    this.#ledger.used -= this.#payloads + this.#backlog;
    this.#payloads = this.#backlog = 0;
    this.held = 0;
    this.#open = false;
    this.#ledger.accounts.delete(this);
  }

  /** Reads the connection's unsent bytes afresh. */
  refresh(): void {
    const u = this.#unsent;
    this.backlog(typeof u === 'function' ? u() : u.unsent);
  }
}

/**
 * A byte budget shared by many connections (a server's): the payloads they hold for handlers
 * (joined requests, buffered stream parts, payloads being gathered) and the replies their
 * transports have not sent yet. A connection takes bytes before it allocates or keeps them and
 * is refused when they do not fit, so the total never grows past `limit` however many
 * connections there are; the peer then answers new work with retry results.
 */
export class MemoryBudget {
  readonly #ledger: Ledger;

  constructor(limit: number) {
    if (!(Number.isInteger(limit) && limit >= 0)) throw new RangeError(`a memory budget must be a whole number of bytes, got ${limit}`);
    this.#ledger = new Ledger(limit);
  }

  /** The most bytes all connections together may hold. */
  get limit(): number {
    return this.#ledger.limit;
  }

  /** Bytes held now, across every connection. */
  get used(): number {
    return this.#ledger.used;
  }

  /** True when nothing more fits. */
  get exhausted(): boolean {
    return this.#ledger.used >= this.#ledger.limit;
  }

  /**
   * Opens an account for one connection. `unsent` says its unsent bytes afresh (queued and in
   * its transport): a function, or an object whose `unsent` is that count (a Peer).
   */
  account(unsent: UnsentSource = NOTHING_UNSENT): BudgetAccount {
    return new Account(this.#ledger, unsent);
  }
}
