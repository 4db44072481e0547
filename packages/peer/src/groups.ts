// Named groups of members (socket.io's rooms): which groups each member is in and which members
// each group has, both ways, so that leaving everything is as cheap as joining. Empty groups and
// members in no group are forgotten at once: the structure holds only what is joined now.
import { GotalkError } from './errors.ts';

/** The longest group name, in UTF-16 units. */
export const MAX_GROUP_NAME = 256;

/** Options of {@link Groups}. */
export interface GroupsOptions {
  /** Groups one member may be in at once (an integer ≥ 1, default 64); one more throws `GROUP_LIMIT`. */
  readonly maxGroupsPerMember?: number;
}

/** The `INVALID_GROUP` error for a name that is not a string of 1..256 characters; null for a good one. */
export function invalidGroup(name: unknown): GotalkError<'INVALID_GROUP'> | null {
  if (typeof name === 'string' && name.length > 0 && name.length <= MAX_GROUP_NAME) return null;
  const got = typeof name === 'string' ? `${name.length} characters` : typeof name;
  return new GotalkError('INVALID_GROUP', `a group name must be a string of 1..${MAX_GROUP_NAME} characters, got ${got}`);
}

/** Whatever has a `closed` promise (a `Connection`): it leaves its groups once that settles. */
function closedOf(member: object): PromiseLike<unknown> | undefined {
  const closed = (member as { closed?: unknown }).closed;
  return closed && typeof (closed as PromiseLike<unknown>).then === 'function' ? (closed as PromiseLike<unknown>) : undefined;
}

/** What can be read of {@link Groups}: who is in which group (a pool hands out this, and joins through its own methods). */
export interface GroupView<M> {
  /** True when `member` is in `group`. */
  has(member: M, group: string): boolean;
  /** The groups `member` is in, in the order it joined them. */
  of(member: M): string[];
  /** The members of `group`, in the order they joined it. */
  members(group: string): M[];
  /** How many members `group` has. */
  size(group: string): number;
  /** The groups that have members now. */
  names(): string[];
}

/**
 * Groups of members by name. A member is any object (a server's connections, a pool's members);
 * one with a `closed` promise (every `Connection`) leaves all its groups by itself when it
 * closes. Group names are strings of 1..256 characters, case-sensitive.
 */
export class Groups<M extends object> implements GroupView<M> {
  readonly #byName = new Map<string, Set<M>>();
  readonly #byMember = new Map<M, Set<string>>();
  /** Members whose `closed` is already watched: watched once, whatever they join and leave. */
  readonly #watched = new WeakSet<M>();
  readonly #max: number;

  /** Throws RangeError for a bad `maxGroupsPerMember`. */
  constructor(options: GroupsOptions = {}) {
    const max = options.maxGroupsPerMember ?? 64;
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`maxGroupsPerMember must be an integer ≥ 1, got ${max}`);
    this.#max = max;
  }

  /**
   * Puts `member` in each of `groups` (already in one: nothing changes). Throws `INVALID_GROUP`
   * for a bad name and `GROUP_LIMIT` past `maxGroupsPerMember`, before joining any of them.
   */
  join(member: M, ...groups: string[]): void {
    const mine = this.#byMember.get(member);
    let adding = 0;
    for (const g of groups) {
      const bad = invalidGroup(g);
      if (bad) throw bad;
      if (!mine?.has(g)) adding++;
    }
    if ((mine?.size ?? 0) + adding > this.#max) {
      throw new GotalkError('GROUP_LIMIT', `a member may be in at most ${this.#max} groups (maxGroupsPerMember)`);
    }
    if (groups.length === 0) return;
    const set = mine ?? new Set<string>();
    if (!mine) this.#byMember.set(member, set);
    for (const g of groups) {
      set.add(g);
      let members = this.#byName.get(g);
      if (!members) this.#byName.set(g, (members = new Set()));
      members.add(member);
    }
    this.#watch(member);
  }

  /** Takes `member` out of each of `groups`, or out of every group when none is named. */
  leave(member: M, ...groups: string[]): void {
    const mine = this.#byMember.get(member);
    if (!mine) return;
    for (const g of groups.length === 0 ? [...mine] : groups) {
      if (!mine.delete(g)) continue;
      const members = this.#byName.get(g)!;
      members.delete(member);
      if (members.size === 0) this.#byName.delete(g);
    }
    if (mine.size === 0) this.#byMember.delete(member);
  }

  /** True when `member` is in `group`. */
  has(member: M, group: string): boolean {
    return this.#byMember.get(member)?.has(group) ?? false;
  }

  /** The groups `member` is in, in the order it joined them. */
  of(member: M): string[] {
    return [...(this.#byMember.get(member) ?? [])];
  }

  /** The members of `group`, in the order they joined it (none for a group nobody is in). */
  members(group: string): M[] {
    return [...(this.#byName.get(group) ?? [])];
  }

  /** How many members `group` has. */
  size(group: string): number {
    return this.#byName.get(group)?.size ?? 0;
  }

  /** The groups that have members now. */
  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** Calls `fn` once on each member of any of `groups` (a member of several is visited once). */
  forEachIn(groups: readonly string[], fn: (member: M) => void): void {
    if (groups.length === 1) {
      for (const m of this.#byName.get(groups[0]!) ?? []) fn(m);
      return;
    }
    const seen = new Set<M>();
    for (const g of groups) {
      for (const m of this.#byName.get(g) ?? []) {
        if (seen.has(m)) continue;
        seen.add(m);
        fn(m);
      }
    }
  }

  #watch(member: M): void {
    if (this.#watched.has(member)) return;
    const closed = closedOf(member);
    if (!closed) return;
    this.#watched.add(member);
    closed.then(
      () => this.leave(member),
      () => this.leave(member),
    );
  }
}
