// Fan-out: one notification or one request to many connections (everyone, or the members of some
// groups, less some), encoded once, with a bound on what a member that does not read is sent.
import type { Connection } from './api.ts';
import { jsonResult } from './api.ts';
import { GotalkError, invalidName } from './errors.ts';
import { gatherEach, type GatherOptions, type Gathered } from './gather.ts';
import { invalidGroup, type Groups } from './groups.ts';
import type { NotificationType, Operation } from './operation.ts';
import { andThen } from './maybe-async.ts';
import { msOption } from './options.ts';
import { toJson, type JsonLimits } from './payload.ts';
import { validate, type InputOf, type OutputOf, type StandardSchemaV1 } from './schema.ts';

/** What a broadcast does about a member that does not read what it is sent. */
export interface BroadcastOptions {
  /**
   * Bytes a member may have unsent (`Connection.unsent`: queued, or held by its transport) and
   * still be sent a broadcast or a gather's request; past them it is left out (default 1 MiB).
   * While the owner's memory budget is spent, the bound is 0: only members with nothing unsent
   * are sent more. So a broadcast adds at most one message to a member beyond the bound.
   */
  readonly maxUnsent?: number;
  /**
   * What happens to a member left out: `close` (default) ends its connection with
   * `MEMBER_BEHIND` (it would miss messages otherwise; a client reconnects and catches up),
   * `skip` leaves it connected and only out of this message (it may catch up and read later ones).
   */
  readonly behind?: 'close' | 'skip';
}

/** The defaults of {@link BroadcastOptions}. */
export const DEFAULT_BROADCAST = { maxUnsent: 1024 * 1024, behind: 'close' } as const;

/** What a broadcast did: how many members it was sent to, and the members left out for being behind. */
export interface BroadcastReport<M> {
  readonly sent: number;
  readonly behind: readonly M[];
}

/** What an {@link Audience} needs of its owner (a server, a pool). */
export interface AudienceHost<M extends object> {
  /** The connection of a member (the member itself for a server). */
  readonly connectionOf: (member: M) => Connection;
  /** The bounds JSON results of a gather are parsed within. */
  readonly limits: JsonLimits;
  /** A gather's default deadline, ms. */
  readonly requestTimeout: number;
  readonly maxUnsent: number;
  readonly behind: 'close' | 'skip';
  /** The owner's memory budget, when it has one. */
  readonly budget?: { readonly exhausted: boolean } | undefined;
  /** The groups `except(group)` looks in. */
  readonly groups: Groups<M>;
  /** How a member's failure in a gather is worded (a pool names its worker); default: as it is. */
  readonly failed?: (error: Error, member: M) => Error;
}

/** Calls its argument on each member of a selection. */
export type Selection<M> = (visit: (member: M) => void) => void;

/**
 * The members of any of `names` in `groups` (each once), for an {@link Audience}. Throws
 * `INVALID_GROUP` for a bad name; a group nobody is in selects no one.
 */
export function inGroups<M extends object>(groups: Groups<M>, names: readonly string[]): Selection<M> {
  for (const name of names) {
    const bad = invalidGroup(name);
    if (bad) throw bad;
  }
  const copy = [...names];
  return (visit) => groups.forEachIn(copy, visit);
}

/** Checks `BroadcastOptions` and fills in the defaults; throws RangeError naming a bad one. */
export function broadcastSettings(options: BroadcastOptions = {}): Required<BroadcastOptions> {
  const maxUnsent = options.maxUnsent ?? DEFAULT_BROADCAST.maxUnsent;
  if (!(maxUnsent >= 0)) throw new RangeError(`broadcast.maxUnsent must be a number of bytes ≥ 0 (or Infinity), got ${maxUnsent}`);
  const behind = options.behind ?? DEFAULT_BROADCAST.behind;
  if (behind !== 'close' && behind !== 'skip') throw new RangeError(`broadcast.behind must be 'close' or 'skip', got ${String(behind)}`);
  return { maxUnsent, behind };
}

/**
 * Some connections to send to at once: everyone, or the members of some groups, less those
 * `except()` names, as they are when a message is sent (members that joined since are included,
 * closed ones left out). Made by `server.to(...)` / `server.everyone()` and the pool's
 * equivalents; immutable: `except()` returns a new one.
 */
export class Audience<M extends object> {
  readonly #host: AudienceHost<M>;
  readonly #select: Selection<M>;
  readonly #without: ReadonlySet<M>;
  readonly #withoutGroups: readonly string[];

  constructor(host: AudienceHost<M>, select: Selection<M>, without: ReadonlySet<M> = new Set(), withoutGroups: readonly string[] = []) {
    this.#host = host;
    this.#select = select;
    this.#without = without;
    this.#withoutGroups = withoutGroups;
  }

  /** The same audience less the members given, and less every member of the groups named ("everyone but me": `except(ctx.peer)`). */
  except(...who: (M | string)[]): Audience<M> {
    const without = new Set(this.#without);
    const groups = [...this.#withoutGroups];
    for (const w of who) {
      if (typeof w === 'string') groups.push(w);
      else without.add(w);
    }
    return new Audience(this.#host, this.#select, without, groups);
  }

  /** The members it holds now, open ones only. */
  get members(): M[] {
    const out: M[] = [];
    const { groups, connectionOf } = this.#host;
    this.#select((m) => {
      if (this.#without.has(m) || !connectionOf(m).open) return;
      for (const g of this.#withoutGroups) if (groups.has(m, g)) return;
      out.push(m);
    });
    return out;
  }

  /** Sends a JSON notification (encoded once) to every member. Throws `INVALID_NAME`, `PAYLOAD_TOO_LARGE` as a peer would. */
  notify(name: string, value?: unknown): BroadcastReport<M>;
  /** Sends a typed notification, validated once, to every member. */
  notify<S extends StandardSchemaV1>(type: NotificationType<S>, value: InputOf<S>): Promise<BroadcastReport<M>>;
  notify(nameOrType: string | NotificationType, value?: unknown): BroadcastReport<M> | Promise<BroadcastReport<M>> {
    if (typeof nameOrType === 'string') return this.notifyBytes(nameOrType, toJson(value));
    // A promise in every case (never a synchronous throw), as a peer's typed notify.
    return new Promise((resolve) =>
      resolve(andThen(validate(nameOrType.schema, value, 'notification'), () => this.notifyBytes(nameOrType.name, toJson(value)))),
    );
  }

  /**
   * Sends a notification with a raw payload to every member that is not behind (see
   * {@link BroadcastOptions}); a member closing meanwhile is passed over. Throws `INVALID_NAME`,
   * or `PAYLOAD_TOO_LARGE` as the first member's peer does, before anything is sent.
   */
  notifyBytes(name: string, payload: Uint8Array): BroadcastReport<M> {
    const bad = invalidName(name, 'notification');
    if (bad) throw bad;
    let sent = 0;
    const behind: M[] = [];
    for (const m of this.members) {
      const connection = this.#host.connectionOf(m);
      if (this.#leftOut(connection)) {
        behind.push(m);
        continue;
      }
      try {
        connection.notifyBytes(name, payload);
        sent++;
      } catch (err) {
        if ((err as GotalkError).code !== 'CLOSED') throw err;
      }
    }
    return { sent, behind };
  }

  /**
   * Sends one JSON request (encoded once) to every member at once and resolves with each answer
   * or error, in the members' order, under one deadline (`timeout`, default the owner's
   * `requestTimeout`). Never rejects but for a bad op name or option: a member's failure is its
   * entry's (`TIMEOUT`, `REMOTE_ERROR` with the handler's code, `CLOSED`, `MEMBER_BEHIND`…).
   */
  gather(op: string, value?: unknown, options?: GatherOptions): Promise<Gathered<unknown, M>[]>;
  /** The same with a typed operation: the input validated once, each answer by the output schema. */
  gather<I extends StandardSchemaV1, O extends StandardSchemaV1>(
    operation: Operation<I, O>,
    input: InputOf<I>,
    options?: GatherOptions,
  ): Promise<Gathered<OutputOf<O>, M>[]>;
  async gather(op: string | Operation, value?: unknown, options: GatherOptions = {}): Promise<Gathered<unknown, M>[]> {
    const limits = this.#host.limits;
    if (typeof op === 'string') return this.#gather(op, toJson(value), options, (bytes) => jsonResult(bytes, op, limits));
    await validate(op.input, value, 'input');
    return this.#gather(op.name, toJson(value), options, (bytes) => validate(op.output, jsonResult(bytes, op.name, limits), 'output'));
  }

  /** {@link gather} with a raw payload and raw results. */
  gatherBytes(op: string, payload: Uint8Array, options: GatherOptions = {}): Promise<Gathered<Uint8Array, M>[]> {
    return this.#gather(op, payload, options, (bytes) => bytes);
  }

  async #gather<T>(op: string, payload: Uint8Array, options: GatherOptions, decode: (bytes: Uint8Array) => T | Promise<T>): Promise<Gathered<T, M>[]> {
    const bad = invalidName(op, 'op');
    if (bad) throw bad;
    const timeout = msOption(options.timeout, this.#host.requestTimeout, 'timeout');
    const o = options.signal ? { timeout, signal: options.signal } : { timeout };
    const { connectionOf, failed } = this.#host;
    return gatherEach(
      this.members,
      (m) => {
        const connection = connectionOf(m);
        const out = this.#leftOut(connection);
        if (out) return Promise.reject(out);
        return connection.requestBytes(op, payload, o).then(decode);
      },
      failed,
    );
  }

  /** Why `connection` is left out (it is behind; with `behind: 'close'` it is closed with that error), or null when it is not. */
  #leftOut(connection: Connection): GotalkError<'MEMBER_BEHIND'> | null {
    const { maxUnsent, budget, behind } = this.#host;
    const unsent = connection.unsent ?? 0;
    const bound = budget?.exhausted ? 0 : maxUnsent;
    if (unsent <= bound) return null;
    const error = new GotalkError(
      'MEMBER_BEHIND',
      `left out of a broadcast: ${unsent} bytes sent to it are not read yet, past ${bound} (broadcast.maxUnsent${budget?.exhausted ? '; the memory budget is spent' : ''})`,
    );
    if (behind === 'close') connection.destroy(error);
    return error;
  }
}
