import { DEFAULT_RECONNECT, reconnectDelay, type CloseInfo, type Connection, type ReconnectOptions, type ReconnectPolicy } from '@gotalk/peer';
import { PoolError } from './errors.ts';
import type { Member, MemberOptions } from './member.ts';

/** Starts a worker and resolves with the connection to it (the spawn helpers of `@gotalk/node` are such functions). */
export type WorkerFactory = () => Promise<Connection>;

/** How `pool.start()` keeps a worker: a member's options, plus its restart policy. */
export interface StartOptions extends MemberOptions {
  /**
   * When the worker's connection closes while the pool is open (a crash, an exit), start it
   * again after a backoff delay (full jitter between `minDelay` and a ceiling growing by
   * `factor` per attempt up to `maxDelay`; defaults 250 ms, ×2, 10 s; the count starts again
   * once a worker stayed up for `maxDelay`); `false` lets it go. A start that fails is tried
   * again the same way.
   */
  readonly restart?: ReconnectOptions | false;
}

/** What a {@link Restarter} needs from its pool. */
export interface RestartHost {
  /** True while the pool takes jobs (no restarts once it is closing). */
  readonly open: boolean;
  /** Makes `connection` a member the pool owns; `left` is called once when it leaves. */
  adopt(connection: Connection, options: MemberOptions, left: (info: CloseInfo | null) => void): Member;
  /** Reports a restart (the pool's `restart` event). */
  restarting(name: string, attempt: number, delay: number, error: Error | undefined): void;
}

/** Fills in and checks a restart policy; throws RangeError for a bad one. */
function restartPolicy(options: ReconnectOptions): ReconnectPolicy {
  const p = { ...DEFAULT_RECONNECT, ...options };
  if (!(p.minDelay >= 0 && p.maxDelay >= p.minDelay && p.factor >= 1 && p.maxDelay < Infinity)) {
    throw new RangeError(`restart needs 0 <= minDelay <= maxDelay < Infinity and factor >= 1, got ${JSON.stringify(options)}`);
  }
  return p;
}

/**
 * One worker the pool keeps running: started by a factory, started again with backoff when it
 * goes away while the pool is open, until `stop()`.
 */
export class Restarter {
  readonly #host: RestartHost;
  readonly #factory: WorkerFactory;
  readonly #options: MemberOptions;
  readonly #policy: ReconnectPolicy | false;
  readonly #name: string;
  #attempts = 0;
  #startedAt = 0;
  #timer: unknown = null;
  #stopped = false;
  #member: Member | null = null;

  constructor(host: RestartHost, factory: WorkerFactory, name: string, options: StartOptions) {
    this.#host = host;
    this.#factory = factory;
    this.#name = name;
    const { restart, ...memberOptions } = options;
    this.#options = { ...memberOptions, name };
    this.#policy = restart === false ? false : restartPolicy(restart ?? {});
  }

  /** The first start: resolves with the member once its handshake is done; rejects (and gives up) if it fails. */
  async first(): Promise<Member> {
    const member = await this.#startOne();
    try {
      await member.connection.ready;
    } catch (err) {
      this.stop(); // a worker that never got as far as a handshake is not started again
      throw err;
    }
    return member;
  }

  /** Starts no more; a start in progress is closed when it completes. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** The member running now, if any. */
  get member(): Member | null {
    return this.#member;
  }

  async #startOne(): Promise<Member> {
    const connection = await this.#factory();
    if (this.#stopped || !this.#host.open) {
      void connection.close();
      throw new PoolError('CLOSED', `the pool closed before worker "${this.#name}" started`, { worker: this.#name });
    }
    this.#startedAt = performance.now();
    const member = this.#host.adopt(connection, this.#options, (info) => this.#left(member, info));
    this.#member = member;
    return member;
  }

  /** The member left: start it again unless stopped, removed, or the pool is closing. */
  #left(member: Member, info: CloseInfo | null): void {
    if (this.#member === member) this.#member = null;
    if (info === null) this.#stopped = true; // removed by pool.remove(): it stays away
    if (this.#policy && performance.now() - this.#startedAt >= this.#policy.maxDelay) this.#attempts = 0;
    this.#schedule(undefined);
  }

  #schedule(error: Error | undefined): void {
    if (this.#stopped || !this.#policy || !this.#host.open) return;
    this.#attempts++;
    const delay = reconnectDelay(this.#attempts, this.#policy);
    this.#host.restarting(this.#name, this.#attempts, delay, error);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#stopped || !this.#host.open) return;
      this.#startOne().then(
        (member) => member.connection.ready.catch(() => {}), // a failed handshake closes it: #left restarts
        (err: Error) => this.#schedule(err),
      );
    }, delay);
  }
}
