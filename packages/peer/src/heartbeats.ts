import type { Frame } from '@gotalk/protocol';
import type { ActivityEvent } from './activity.ts';
import type { RemoteHeartbeat } from './api.ts';
import type { Settings } from './options.ts';

/** What heartbeats call back, as methods of one object (a peer's host). */
export interface HeartbeatHooks {
  send(frame: Frame): void;
  /** This side's load for the next heartbeat, 0..65535. */
  load(): number;
  /** Nothing arrived in time: `silent` when the other side never sent a heartbeat (`silenceTimeout`). */
  timedOut(silent: boolean): void;
  activity(event: ActivityEvent): void;
}

/**
 * Sends heartbeats on a timer and watches the other side's. Dead-peer detection (`idleTimeout`)
 * is armed only after the other side has sent a heartbeat, so a healthy peer that sends none is
 * never timed out by it, and its timeout stretches to 3 of the longest gaps seen between its
 * heartbeats. Before any heartbeat, only `silenceTimeout` (when set) applies. Silence and gaps
 * are measured on a monotonic clock, so steps of the wall clock change neither, and time spent
 * not reading counts for neither.
 */
export class Heartbeats {
  remote: RemoteHeartbeat | undefined;
  #sender: unknown = null;
  #watcher: unknown = null;
  /** When bytes last arrived or reading resumed (monotonic ms). */
  #lastReceived = 0;
  /** When the last heartbeat arrived (monotonic ms), unless reading paused or resumed since. */
  #lastBeat: number | undefined;
  #longestGap = 0;
  #fixedLoad: number | undefined;
  #readingPaused = false;
  /** A heartbeat has arrived. */
  #beating = false;

  readonly #settings: Settings;
  readonly #hooks: HeartbeatHooks;

  // The timers' callbacks, shared by every connection's timers (each timer passes its own Heartbeats), not a closure each.
  static #beatOf(h: Heartbeats): void {
    h.#beat();
  }

  static #checkOf(h: Heartbeats): void {
    h.#check();
  }

  constructor(settings: Settings, hooks: HeartbeatHooks) {
    this.#settings = settings;
    this.#hooks = hooks;
  }

  /** The handshake is done: send one heartbeat now, then every interval; watch for silence. */
  start(): void {
    const silence = this.#settings.silenceTimeout;
    if (silence > 0 && this.remote === undefined && this.#watcher === null) this.#watch(silence);
    if (this.#settings.heartbeatInterval <= 0 || this.#sender !== null) return;
    // The timer first: the first beat's activity event may stop() us (a listener closing the peer).
    this.#sender = setInterval(Heartbeats.#beatOf, this.#settings.heartbeatInterval, this);
    this.#beat();
  }

  /** Bytes arrived: the other side is alive. */
  received(): void {
    this.#lastReceived = performance.now();
  }

  /**
   * This side stopped (true) or resumed (false) reading the connection (backpressure): silence
   * while it does not read is not the other side's, so the idle clock stops meanwhile, and the
   * gap between heartbeats around the pause is not taken for the other side's interval.
   */
  reading(paused: boolean): void {
    this.#readingPaused = paused;
    this.#lastReceived = performance.now();
    this.#lastBeat = undefined;
  }

  /** A heartbeat arrived: detection is armed, and the gap since the previous one (while reading) measured. */
  heartbeat(load: number, time: number): void {
    const now = performance.now();
    this.remote = { load, time, receivedAt: Date.now() };
    if (this.#lastBeat !== undefined) this.#longestGap = Math.max(this.#longestGap, now - this.#lastBeat);
    this.#lastBeat = now;
    if (!this.#beating) {
      // The first heartbeat: from now on the idle timeout watches, not the silence timeout.
      this.#beating = true;
      if (this.#watcher !== null) clearInterval(this.#watcher);
      this.#watcher = null;
      const idle = this.#settings.idleTimeout;
      if (idle > 0) this.#watch(idle);
    }
    this.#hooks.activity({ type: 'heartbeat', dir: 'in', load, time });
  }

  /** Sets a fixed load, or undefined to use the derived one. */
  setLoad(load: number | undefined): void {
    if (load !== undefined && !(Number.isInteger(load) && load >= 0 && load <= 0xffff)) {
      throw new RangeError(`load must be an integer in 0..65535, got ${load}`);
    }
    this.#fixedLoad = load;
  }

  stop(): void {
    if (this.#sender !== null) clearInterval(this.#sender);
    if (this.#watcher !== null) clearInterval(this.#watcher);
    this.#sender = this.#watcher = null;
  }

  #beat(): void {
    const raw = this.#fixedLoad ?? this.#hooks.load();
    const load = Math.max(0, Math.min(0xffff, Math.round(raw) || 0));
    const time = Math.floor(Date.now() / 1000) >>> 0;
    this.#hooks.send({ type: 'h', load, time });
    this.#hooks.activity({ type: 'heartbeat', dir: 'out', load, time });
  }

  #watch(timeout: number): void {
    this.#watcher = setInterval(Heartbeats.#checkOf, Math.max(10, Math.min(timeout / 4, 5000)), this);
  }

  #check(): void {
    if (this.#readingPaused) return;
    const silent = !this.#beating;
    const limit = silent ? this.#settings.silenceTimeout : Math.max(this.#settings.idleTimeout, 3 * this.#longestGap);
    if (performance.now() - this.#lastReceived > limit) {
      this.stop();
      this.#hooks.timedOut(silent);
    }
  }
}
