// The demo's room: the connections that said hello ("pages"), their names and the roster they are
// shown. The pages are the server's group `pages`: broadcasts go to it with `server.to(PAGES)`,
// which leaves out (and closes) a page that does not read before it is sent more (the server's
// `broadcast` option). Every cost here is per event and bounded: a page is counted only once it
// says hello, and roster changes go out as gathered deltas (never the whole roster to everyone).
import type { Connection, Server } from '@gotalk/node';

/** The server's group of the connections that said hello. */
export const PAGES = 'pages';

/** One line of the roster. */
export interface RosterEntry {
  readonly kind: string;
  readonly name: string;
  /** The page's load from its last heartbeat, 0..0xffff; null before the first one. */
  readonly load: number | null;
}

/** The roster as pages see it: the first `shown` pages, and how many there are. */
export interface Roster {
  readonly peers: RosterEntry[];
  readonly count: number;
}

/**
 * The `roster-changes` notification: who joined and who left since the last one, in that order
 * of application (`left` first). `resync` instead of the lists when there were too many changes to
 * list: the page asks for the `roster` again.
 */
export interface RosterChanges {
  readonly joined: { readonly name: string; readonly kind: string }[];
  readonly left: string[];
  readonly count: number;
  readonly resync?: true;
}

/** The room's settings. */
export interface RoomOptions {
  /** Pages listed in a roster, and changes listed in one `roster-changes` (default 50). */
  readonly shown?: number;
  /** How long roster changes are gathered before they go out, in ms (default 250). */
  readonly rosterDelay?: number;
}

/** Tries `wanted`, `wanted (2)` … `wanted (MAX_SUFFIX)`; past that the name counts as taken. */
const MAX_SUFFIX = 20;

/** The pages of one demo server. */
export class Room {
  readonly shown: number;
  readonly #server: Server;
  readonly #delay: number;
  readonly #names = new Map<Connection, string>();
  readonly #byName = new Map<string, Connection>();
  /** Changes not sent yet: name → kind joined; names left. */
  #joined = new Map<string, string>();
  #left = new Set<string>();
  #overflow = false;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(server: Server, options: RoomOptions = {}) {
    this.#server = server;
    this.shown = options.shown ?? 50;
    this.#delay = options.rosterDelay ?? 250;
  }

  /** How many pages there are. */
  get count(): number {
    return this.#names.size;
  }

  /** The name `peer` said hello with, or undefined if it has not. */
  nameOf(peer: Connection): string | undefined {
    return this.#names.get(peer);
  }

  /**
   * Counts `peer` as a page named `wanted` (or `wanted (2)`… if another page has it; a second
   * hello renames). Returns the name given, or null when it and its numbered forms are all taken.
   */
  join(peer: Connection, wanted: string): string | null {
    const base = wanted || 'anonymous';
    let name: string | null = null;
    for (let n = 1; n <= MAX_SUFFIX && name === null; n++) {
      const candidate = n === 1 ? base : `${base} (${n})`;
      const holder = this.#byName.get(candidate);
      if (holder === undefined || holder === peer) name = candidate;
    }
    if (name === null) return null;
    const current = this.#names.get(peer);
    if (current === name) return name;
    if (current !== undefined) this.#forget(peer, current);
    this.#names.set(peer, name);
    this.#byName.set(name, peer);
    this.#server.groups.join(peer, PAGES);
    this.#changed(() => this.#joined.set(name, peer.info?.kind ?? '?'));
    return name;
  }

  /** Stops counting `peer` (it disconnected: it left the group by itself). */
  leave(peer: Connection): void {
    const name = this.#names.get(peer);
    if (name !== undefined) this.#forget(peer, name);
  }

  /** The first `shown` pages and the count: bounded whatever the number of pages. */
  roster(): Roster {
    const peers: RosterEntry[] = [];
    for (const [peer, name] of this.#names) {
      if (peers.length >= this.shown) break;
      peers.push({ kind: peer.info?.kind ?? '?', name, load: peer.remoteHeartbeat?.load ?? null });
    }
    return { peers, count: this.#names.size };
  }

  /** Sends notification `name` with JSON `value` (encoded once) to every page that reads. */
  broadcast(name: string, value: unknown): void {
    this.#server.to(PAGES).notify(name, value);
  }

  #forget(peer: Connection, name: string): void {
    this.#names.delete(peer);
    if (this.#byName.get(name) === peer) this.#byName.delete(name);
    this.#changed(() => {
      if (!this.#joined.delete(name)) this.#left.add(name);
    });
  }

  /** Records a change for the next `roster-changes`; past `shown` changes, only that a resync is due. */
  #changed(record: () => void): void {
    if (!this.#overflow) {
      record();
      if (this.#joined.size + this.#left.size > this.shown) {
        this.#overflow = true;
        this.#joined = new Map();
        this.#left = new Set();
      }
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#flush(), this.#delay);
    this.#timer.unref?.();
  }

  #flush(): void {
    this.#timer = null;
    const changes: RosterChanges = this.#overflow
      ? { joined: [], left: [], count: this.count, resync: true }
      : { joined: [...this.#joined].map(([name, kind]) => ({ name, kind })), left: [...this.#left], count: this.count };
    this.#joined = new Map();
    this.#left = new Set();
    this.#overflow = false;
    if (changes.resync || changes.joined.length > 0 || changes.left.length > 0) this.broadcast('roster-changes', changes);
  }
}
