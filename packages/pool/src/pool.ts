import {
  Audience,
  CallerBase,
  Emitter,
  Groups,
  inGroups,
  msOption,
  type ActivityListener,
  type AudienceHost,
  type GroupView,
  type CloseInfo,
  type Connection,
  type InputOf,
  type Operation,
  type OutputOf,
  type PartSource,
  type ResultStream,
  type StandardSchemaV1,
  type StreamOperation,
} from '@gotalk/peer';
import { Dispatcher, type PoolState } from './dispatcher.ts';
import { PoolError } from './errors.ts';
import type { JobCounts, JobInfo, PoolEvents } from './events.ts';
import type { ConnectionSource, FeedOptions } from './feed.ts';
import type { PoolFigures } from './figures/pool-figures.ts';
import { byWorker, lostOrAsIs, type GatherOptions, type GatherResult } from './gather.ts';
import { RequestJob } from './job.ts';
import { Member, type MemberOptions, type PoolMember } from './member.ts';
import { concurrencyOption, resolvePoolOptions, type PoolLimits, type PoolOptions, type PoolRequestOptions, type PoolSettings } from './options.ts';
import { Restarter, type RestartHost, type StartOptions, type WorkerFactory } from './restart.ts';
import { StreamJob } from './stream-job.ts';

export type { PoolState } from './dispatcher.ts';

/**
 * A pool of workers behind one calling surface: the API of a peer (`request`, `call`,
 * `stream`, `callStream`, `notify`), where each request is a job the pool sends to one of its
 * members: the member with the most room, judged by the jobs the pool has in flight to it
 * against its cap and by the load it reports in heartbeats (see `choose` in choose.ts: the better of two members drawn at random). When every
 * member is at its cap, jobs wait in a bounded queue. A retry result sends the job to another
 * worker after its wait; a worker lost with jobs running sends those that are safe to repeat to
 * another worker and fails the others with `WORKER_LOST`. A job runs at most once unless it is
 * declared repeatable, and every job ends, with its result or a typed error.
 *
 * Members are any {@link Connection}s (peers over any transport, in any runtime): added and
 * removed at any time, fed by a server's connections, or started by the pool from a factory and
 * started again when they go away. A member whose connection closes leaves by itself.
 */
export class Pool extends CallerBase {
  readonly #settings: PoolSettings;
  readonly #members: Member[] = [];
  readonly #dispatcher: Dispatcher;
  readonly #events = new Emitter<PoolEvents>();
  /** Event listeners subscribed: events (and the job views they carry) are built only then. */
  #watching = 0;
  #nextName = 1;
  /** Busy time and lifetime of the members gone, for the pool's utilization. */
  #goneBusy = 0;
  #goneLife = 0;
  #state: PoolState = 'open';
  #closing: Promise<void> | null = null;
  readonly #activity: ActivityListener[] = [];
  readonly #unwatch = new Map<Member, () => void>();
  readonly #leftHooks = new Map<Member, (info: CloseInfo | null) => void>();
  readonly #removals = new Map<Member, () => void>();
  #load: number | undefined;
  readonly #restarters = new Set<Restarter>();
  readonly #feeds = new Set<() => void>();
  readonly #groups: Groups<PoolMember>;
  readonly #audience: AudienceHost<PoolMember>;

  /** Throws RangeError naming a bad option. */
  constructor(options: PoolOptions = {}) {
    super();
    this.#settings = resolvePoolOptions(options);
    this.#groups = new Groups(this.#settings.groups);
    this.#audience = {
      connectionOf: (m) => m.connection,
      limits: this.#settings.limits,
      requestTimeout: this.#settings.requestTimeout,
      ...this.#settings.broadcast,
      groups: this.#groups,
      failed: (error, m) => lostOrAsIs(error, m.name),
    };
    this.#dispatcher = new Dispatcher(
      this.#settings,
      this.#members,
      { emitter: this.#events, watched: () => this.#watching > 0 },
      { state: () => this.#state, drained: (m) => this.#left(m, null) },
    );
  }

  protected get jsonLimits(): PoolLimits {
    return this.#settings.limits;
  }

  /** `open`, `closing` (after `close()`, while outstanding jobs finish) or `closed`. */
  get state(): PoolState {
    return this.#state;
  }

  /** The members present (joining, open or leaving), in the order they came. */
  get members(): readonly PoolMember[] {
    return [...this.#members];
  }

  /** Calls `fn` on each `event` (see {@link PoolEvents}) until the returned function is called. */
  on<K extends keyof PoolEvents>(event: K, fn: (value: PoolEvents[K]) => void): () => void {
    const off = this.#events.on(event, fn);
    this.#watching++;
    let on = true;
    return () => {
      if (!on) return;
      on = false;
      this.#watching--;
      off();
    };
  }

  // ----- members -----

  /**
   * Adds a connection as a member: it takes jobs once its handshake is done, and leaves by
   * itself when it closes. Throws `CLOSED` once the pool is closing, RangeError for a bad cap.
   */
  add(connection: Connection, options: MemberOptions = {}): PoolMember {
    return this.#adopt(connection, options, false);
  }

  /**
   * Takes a member out: no new jobs go to it, and the promise resolves once its running jobs
   * have ended (or its connection closed). A member the pool started is closed then and not
   * started again; any other stays connected.
   */
  remove(member: PoolMember): Promise<void> {
    const m = this.#members.find((x) => x === member);
    if (!m) return Promise.resolve();
    if (m.state !== 'leaving') m.state = 'leaving';
    if (m.running === 0) {
      this.#left(m, null);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const previous = this.#removals.get(m);
      this.#removals.set(m, () => {
        previous?.();
        resolve();
      });
    });
  }

  /**
   * Starts a worker with `factory` and keeps it: a worker that goes away while the pool is open
   * is started again with backoff (see {@link StartOptions.restart}). Resolves with the member
   * once its handshake is done; rejects when the first start fails (nothing is retried then).
   */
  start(factory: WorkerFactory, options: StartOptions = {}): Promise<PoolMember> {
    if (this.#state !== 'open') return Promise.reject(this.#dispatcher.closedError());
    const isOpen = () => this.#state === 'open';
    const host: RestartHost = {
      get open() {
        return isOpen();
      },
      adopt: (connection, memberOptions, left) => this.#adopt(connection, memberOptions, true, left),
      restarting: (name, attempt, delay, error) => {
        if (this.#watching > 0) this.#events.emit('restart', { name, attempt, delay, ...(error ? { error } : {}) });
      },
    };
    const restarter = new Restarter(host, factory, options.name ?? `worker-${this.#nextName++}`, options);
    this.#restarters.add(restarter);
    return restarter.first().catch((err: unknown) => {
      restarter.stop();
      this.#restarters.delete(restarter);
      throw err;
    });
  }

  /**
   * Makes every connection `source` announces (a `Server`'s `connection` event) a member, until
   * the returned function is called or the pool closes: workers on other machines join by
   * connecting.
   */
  feed(source: ConnectionSource, options: FeedOptions = {}): () => void {
    let feeding = true;
    const listener = (connection: Connection): void => {
      if (!feeding || this.#state !== 'open') return;
      const name = options.name?.(connection);
      const c = typeof options.concurrency === 'function' ? options.concurrency(connection) : options.concurrency;
      this.add(connection, { ...(name === undefined ? {} : { name }), ...(c === undefined ? {} : { concurrency: c }) });
    };
    source.on('connection', listener);
    const stop = (): void => {
      if (!feeding) return;
      feeding = false;
      this.#feeds.delete(stop);
      source.off?.('connection', listener);
    };
    this.#feeds.add(stop);
    return stop;
  }

  // ----- groups -----

  /** Who is in which group (join and leave with {@link join} and {@link leave}); a member that leaves the pool leaves its groups. */
  get groups(): GroupView<PoolMember> {
    return this.#groups;
  }

  /**
   * Puts a present member in each of `groups`. Throws `INVALID_GROUP` for a bad name,
   * `GROUP_LIMIT` past `maxGroupsPerMember`, and RangeError for a member not in the pool.
   */
  join(member: PoolMember, ...groups: string[]): void {
    if (!this.#members.includes(member as Member)) throw new RangeError(`"${member.name}" is not a member of this pool`);
    this.#groups.join(member, ...groups);
  }

  /** Takes `member` out of each of `groups`, or out of all of them when none is named. */
  leave(member: PoolMember, ...groups: string[]): void {
    this.#groups.leave(member, ...groups);
  }

  /**
   * The members of any of `groups`, to notify or gather from (see `Audience` of `@gotalk/peer`):
   * `pool.to('gpu').gather('status')`. A gather's entries carry the member (`entry.member.name`)
   * and a lost worker's error is `WORKER_LOST`. Throws `INVALID_GROUP` for a bad name.
   */
  to(...groups: string[]): Audience<PoolMember> {
    return new Audience(this.#audience, inGroups(this.#groups, groups));
  }

  /** Every member connected now, to notify or gather from: see {@link to}. */
  everyone(): Audience<PoolMember> {
    return new Audience(this.#audience, (visit) => {
      for (const m of this.#members) visit(m);
    });
  }

  // ----- the calling surface -----

  /** Sends a request with a raw payload as a job; resolves with the raw result of the worker that ran it. */
  requestBytes(op: string, payload: Uint8Array, options: PoolRequestOptions = {}): Promise<Uint8Array> {
    const d = this.#dispatcher;
    const job = new RequestJob(d.host, d.terms(op, options, this.#settings.requestTimeout), payload);
    d.submit(job);
    return job.promise;
  }

  /** Sends a JSON request as a job (see {@link requestBytes}). */
  override request(op: string, value?: unknown, options: PoolRequestOptions = {}): Promise<unknown> {
    return super.request(op, value, options);
  }

  /** Calls a typed operation as a job. */
  override call<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: Operation<I, O>,
    input: InputOf<I>,
    options: PoolRequestOptions = {},
  ): Promise<OutputOf<O>> {
    return super.call(operation, input, options);
  }

  /**
   * Opens a stream call as a job; it may move to another worker only until its first part arrives (see docs/workers.md).
   * Read its result to the end (or stop reading): until then it holds its worker's slot.
   */
  stream(op: string, input: PartSource | Uint8Array = new Uint8Array(0), options: PoolRequestOptions = {}): ResultStream {
    const retries = options.retries ?? this.#settings.retries;
    const d = this.#dispatcher;
    const terms = d.terms(op, input instanceof Uint8Array ? options : { ...options, retries: 0 }, 0);
    const job = new StreamJob(d.host, terms, input, retries, this.#settings.limits.maxPayload);
    d.submit(job);
    return job;
  }

  /** Calls a typed streaming operation as a job. */
  override callStream<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: StreamOperation<I, O>,
    inputs: Iterable<InputOf<I>> | AsyncIterable<InputOf<I>>,
    options: PoolRequestOptions = {},
  ): AsyncGenerator<OutputOf<O>, void, undefined> {
    return super.callStream(operation, inputs, options);
  }

  /**
   * Sends a notification to every member connected now (a member closing meanwhile is skipped,
   * one behind is left out: see `PoolOptions.broadcast`). Throws `INVALID_NAME` or
   * `PAYLOAD_TOO_LARGE` as a peer would.
   */
  notifyBytes(name: string, payload: Uint8Array): void {
    this.everyone().notifyBytes(name, payload);
  }

  /**
   * Sends one JSON request to every member at once, past caps and queue, and collects each
   * answer or error (never rejects, except `CLOSED` when the pool is closed); the deadline is
   * `timeout` (default `requestTimeout`).
   */
  gather(op: string, value?: unknown, options?: GatherOptions): Promise<GatherResult<unknown>[]>;
  /** The same with a typed operation: each answer validated by its output schema. */
  gather<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: Operation<I, O>,
    input: InputOf<I>,
    options?: GatherOptions,
  ): Promise<GatherResult<OutputOf<O>>[]>;
  gather(op: string | Operation, value?: unknown, options: GatherOptions = {}): Promise<GatherResult<unknown>[]> {
    if (this.#state === 'closed') return Promise.reject(this.#dispatcher.closedError());
    const everyone = this.everyone();
    const asked = typeof op === 'string' ? everyone.gather(op, value, options) : everyone.gather(op, value as never, options);
    return asked.then((entries) => entries.map(byWorker));
  }

  /** {@link gather} with raw payloads. */
  gatherBytes(op: string, payload: Uint8Array, options: GatherOptions = {}): Promise<GatherResult<Uint8Array>[]> {
    if (this.#state === 'closed') return Promise.reject(this.#dispatcher.closedError());
    return this.everyone()
      .gatherBytes(op, payload, options)
      .then((entries) => entries.map(byWorker));
  }

  /** Subscribes to the activity events of every member, present and future; returns the unsubscribe function. */
  onActivity(listener: ActivityListener): () => void {
    this.#activity.push(listener);
    if (this.#activity.length === 1) for (const m of this.#members) this.#watch(m);
    return () => {
      const i = this.#activity.indexOf(listener);
      if (i < 0) return;
      this.#activity.splice(i, 1);
      if (this.#activity.length > 0) return;
      for (const off of this.#unwatch.values()) off();
      this.#unwatch.clear();
    };
  }

  /** Sets the load this side reports in heartbeats to every member, present and future; undefined to derive it again. */
  setLoad(load: number | undefined): void {
    if (load !== undefined && !(Number.isInteger(load) && load >= 0 && load <= 0xffff))
      throw new RangeError(`load must be an integer in 0..65535, got ${load}`);
    this.#load = load;
    for (const m of this.#members) m.connection.setLoad(load);
  }

  // ----- tracking and figures -----

  /** The outstanding jobs, oldest first: queued, running or waiting out a retry. */
  jobs(): JobInfo[] {
    return this.#dispatcher.jobs();
  }

  /** How many jobs are outstanding, by state. */
  counts(): JobCounts {
    return this.#dispatcher.counts();
  }

  /** The pool's figures now (see {@link PoolFigures}). */
  figures(): PoolFigures {
    const now = performance.now();
    let busy = this.#goneBusy;
    let life = this.#goneLife;
    let capacity = 0;
    for (const m of this.#members) {
      busy += m.busyTime(now);
      life += m.lifetime(now);
      if (m.state === 'open') capacity += m.concurrency;
    }
    const counts = this.counts();
    return {
      members: this.#members.length,
      capacity,
      running: counts.running,
      queued: counts.queued,
      retrying: counts.retrying,
      ...this.#dispatcher.totals(),
      utilization: life > 0 ? Math.min(1, busy / life) : 0,
      workers: this.#members.map((m) => m.figures()),
    };
  }

  /** Forgets the wait and run times recorded so far (the pool's and its members'); counts stay. */
  resetFigures(): void {
    this.#dispatcher.resetTimes();
    for (const m of this.#members) m.runTime.reset();
  }

  // ----- closing -----

  /**
   * Stops taking jobs (new ones fail with `CLOSED`; no member joins or is started again) and
   * waits for the outstanding ones, queued ones included, for at most `timeout` ms (default the
   * pool's `closeTimeout`). Then what is still outstanding fails with `CLOSED`. The members the
   * pool started are closed, at once for those still running abandoned jobs (so their handlers'
   * signals fire); the others leave the pool still connected, and their abandoned jobs run on
   * (the connection is the caller's, and the pool has no signal of its own in a job). Resolves
   * once that is done.
   */
  close(options: { readonly timeout?: number } = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    const timeout = msOption(options.timeout, this.#settings.closeTimeout, 'timeout');
    this.#state = 'closing';
    for (const stop of [...this.#feeds]) stop();
    for (const r of this.#restarters) r.stop();
    this.#closing = this.#finishClose(timeout);
    return this.#closing;
  }

  async #finishClose(timeout: number): Promise<void> {
    const d = this.#dispatcher;
    if (d.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeout);
        d.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    d.idle = null;
    d.stop(new PoolError('CLOSED', `the pool closed with the job outstanding, after waiting ${timeout} ms`));
    this.#state = 'closed';
    const owned = this.#members.filter((m) => m.owned);
    // A worker the pool started that still runs abandoned jobs is ended at once: its handlers' signals fire.
    for (const m of owned) if (m.running > 0) m.connection.destroy();
    for (const m of [...this.#members]) this.#left(m, null);
    await Promise.all(owned.map((m) => m.connection.closed));
  }

  // ----- internals: members -----

  #adopt(connection: Connection, options: MemberOptions, owned: boolean, left?: (info: CloseInfo | null) => void): Member {
    if (this.#state !== 'open') throw this.#dispatcher.closedError();
    const existing = this.#members.find((m) => m.connection === connection);
    if (existing) return existing;
    const concurrency = concurrencyOption(options.concurrency, this.#settings.concurrency);
    const m = new Member(this.#uniqueName(options.name), connection, concurrency, this.#settings.staleLoad, owned);
    if (options.groups?.length) this.#groups.join(m, ...options.groups); // a bad group throws before it joins the pool
    this.#members.push(m);
    if (left) this.#leftHooks.set(m, left);
    if (this.#load !== undefined) connection.setLoad(this.#load);
    if (this.#activity.length > 0) this.#watch(m);
    connection.ready.then(
      () => this.#joined(m),
      () => {},
    );
    void connection.closed.then((info) => this.#left(m, info));
    return m;
  }

  #uniqueName(wanted: string | undefined): string {
    const base = wanted ?? `worker-${this.#nextName++}`;
    const taken = (name: string) => this.#members.some((m) => m.name === name);
    if (!taken(base)) return base;
    let n = 2;
    while (taken(`${base}#${n}`)) n++;
    return `${base}#${n}`;
  }

  #watch(m: Member): void {
    if (this.#unwatch.has(m)) return;
    this.#unwatch.set(
      m,
      m.connection.onActivity((event) => {
        for (const l of [...this.#activity]) {
          try {
            l(event);
          } catch {
            // as on a peer: a listener's failure is not the pool's
          }
        }
      }),
    );
  }

  #joined(m: Member): void {
    if (m.state !== 'joining') return;
    m.state = 'open';
    if (this.#watching > 0) this.#events.emit('join', m);
    this.#dispatcher.pump();
  }

  /** `m` is out of the pool: its connection closed (`info`), or it was removed (null). */
  #left(m: Member, info: CloseInfo | null): void {
    if (m.state === 'gone') return;
    const i = this.#members.indexOf(m);
    if (i >= 0) this.#members.splice(i, 1);
    const now = performance.now();
    m.left(now);
    this.#goneBusy += m.busyTime(now);
    this.#goneLife += m.lifetime(now);
    this.#unwatch.get(m)?.();
    this.#unwatch.delete(m);
    this.#groups.leave(m);
    if (info === null && m.owned) void m.connection.close();
    if (this.#watching > 0) this.#events.emit('leave', { member: m, info });
    const hook = this.#leftHooks.get(m);
    this.#leftHooks.delete(m);
    hook?.(info);
    const removal = this.#removals.get(m);
    this.#removals.delete(m);
    removal?.();
  }
}
