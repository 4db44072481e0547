/**
 * A test {@link Transport} whose far end is the test itself, speaking raw wire bytes.
 *
 * Put a peer (or anything else that drives a Transport) on one end and script the other:
 *
 * ```ts
 * const t = new ScriptedTransport();
 * const peer = new Peer(t, { heartbeatInterval: 0 });
 * peer.handlers.handleBytes('echo', (p) => p);
 * t.feed('01r0001004echo00000002hi');           // raw bytes into the peer
 * await t.nextFrame('R');                        // wait for the reply, decoded
 * expect(t.outputText).toBe('01R000100000002hi'); // everything the peer wrote, byte-exact
 * ```
 *
 * Input (`feed`):
 * - A string is sent as UTF-8, so `\x00`..`\x7f` escapes are single bytes (Go's binary ids
 *   `r\x00\x00\x00\x01...` work as written) and text payloads have their UTF-8 byte length.
 *   For byte strings with bytes 0x80..0xff use {@link bin} (one byte per char code) or pass a
 *   Uint8Array.
 * - Delivery is synchronous: when `feed` returns, the peer has processed the bytes (its replies
 *   are still queued in its outbox: await `nextFrame`/`until` to see them). `chunkSize` splits
 *   the input into several `data` calls, to exercise reassembly.
 * - `pause()` holds input: fed bytes wait in `pending` until `resume()`, which delivers them
 *   from a microtask (as a socket would), never re-entrantly.
 *
 * Output:
 * - `output` / `outputText` are every byte written, in order (`outputText` is a byte string:
 *   one char per byte, so binary ids compare exactly); `takeText()` returns the text written
 *   since the previous `takeText()`.
 * - `frames` are the written bytes decoded by the real `FrameDecoder` (with `expectVersion`,
 *   so the first one is `{ type: 'version' }`); a decoding failure is kept in `decodeError`.
 * - `nextFrame(type | predicate)` resolves with the oldest not yet taken frame that matches
 *   (waiting for it if needed) and takes it; frames it passes over stay available.
 *
 * Control calls: `calls` lists every `start`/`pause`/`resume`/`close`/`destroy` in order
 * (`pauses`, `resumes`, `paused` summarize them). `close()` and `destroy()` deliver the
 * `close` event to the peer from a microtask; `hangUp()` is the far end going away. Writes
 * after either are discarded, as the Transport contract says.
 *
 * Write pressure: with `highWaterMark` set, `write` returns false once more than that many
 * bytes were written since the last `drain()`; `drain()` resets the count and emits `drain`.
 */
import { CodecError, describeFrame, encodeFrame, FrameDecoder, MAX_WIRE_PAYLOAD, type DecodedFrame, type Frame } from '@gotalk/protocol';
import { Peer, type PeerOptions, type Transport, type TransportEvents, type TransportInfo } from '@gotalk/peer';
import { latin1 } from './bytes.ts';

/** A control call the peer made on a {@link ScriptedTransport}. */
export type TransportCall = 'start' | 'pause' | 'resume' | 'close' | 'destroy';

/** Options of a {@link ScriptedTransport}. */
export interface ScriptedTransportOptions {
  /** `write` returns false once more than this many bytes were written since the last `drain()` (default: never). */
  readonly highWaterMark?: number;
  /** What `info` reports (default `{ kind: 'scripted' }`). */
  readonly info?: TransportInfo;
}

type FrameOf<T extends DecodedFrame['type']> = Extract<DecodedFrame, { type: T }>;

const encoder = new TextEncoder();

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/** A Transport whose far end is the test (see the comment at the top of this file). */
export class ScriptedTransport implements Transport {
  readonly info: TransportInfo;
  /** Every control call the peer made, in order. */
  readonly calls: TransportCall[] = [];
  /** Every chunk the peer wrote, as given. */
  readonly writes: Uint8Array[] = [];
  /** Every frame the peer wrote, decoded (the first is the version). */
  readonly frames: DecodedFrame[] = [];
  /** Set when the peer's output is not valid Gotalk. */
  decodeError: CodecError | null = null;
  /** The error passed to `destroy()`, if it was called with one. */
  destroyError: Error | undefined;

  private events: TransportEvents | null = null;
  private readonly decoder = new FrameDecoder({ expectVersion: true, maxPayload: MAX_WIRE_PAYLOAD });
  private readonly unread: DecodedFrame[] = [];
  private readonly pendingChunks: Uint8Array[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly highWaterMark: number;
  private outputCache: Uint8Array | null = null;
  private outputLength = 0;
  private taken = 0;
  private unflushed = 0;
  private isPaused = false;
  private delivering = false;
  private deliveryScheduled = false;
  private ended = false;
  private endedWith: Error | undefined;

  constructor(options: ScriptedTransportOptions = {}) {
    this.info = options.info ?? { kind: 'scripted' };
    this.highWaterMark = options.highWaterMark ?? Infinity;
  }

  // ----- the Transport side (called by the peer) -----

  start(events: TransportEvents): void {
    this.calls.push('start');
    this.events = events;
    this.scheduleDelivery();
    this.notify();
  }

  write(bytes: Uint8Array): boolean {
    if (this.ended || this.calls.includes('close') || this.calls.includes('destroy')) return true;
    this.writes.push(bytes);
    this.outputLength += bytes.length;
    this.outputCache = null;
    if (!this.decodeError) {
      try {
        this.decoder.push(bytes, (f) => {
          this.frames.push(f);
          this.unread.push(f);
        });
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        this.decodeError = err;
      }
    }
    this.unflushed += bytes.length;
    this.notify();
    return this.unflushed <= this.highWaterMark;
  }

  pause(): void {
    this.calls.push('pause');
    this.isPaused = true;
    this.notify();
  }

  resume(): void {
    this.calls.push('resume');
    this.isPaused = false;
    this.scheduleDelivery();
    this.notify();
  }

  close(): void {
    this.calls.push('close');
    this.endSoon(undefined);
  }

  destroy(error?: Error): void {
    this.calls.push('destroy');
    this.destroyError = error;
    this.pendingChunks.length = 0;
    this.endSoon(error);
  }

  // ----- the far end (called by the test) -----

  /**
   * Sends raw bytes to the peer (a string as UTF-8; see {@link bin} for byte strings). Split
   * into `chunkSize` pieces when given. Returns false (and drops the bytes) once the
   * connection has ended.
   */
  feed(data: string | Uint8Array, options: { chunkSize?: number } = {}): boolean {
    if (this.ended) return false;
    const bytes = toBytes(data);
    const size = options.chunkSize ?? bytes.length;
    if (bytes.length === 0) return true;
    for (let at = 0; at < bytes.length; at += size) this.pendingChunks.push(bytes.subarray(at, at + size));
    this.deliver();
    return true;
  }

  /** Encodes `frames` with the real encoder and feeds them as one chunk. */
  feedFrames(...frames: Frame[]): boolean {
    const parts = frames.map((f) => encodeFrame(f));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return this.feed(bytes);
  }

  /** Sends the version, `01`. */
  handshake(): boolean {
    return this.feed('01');
  }

  /** The far end goes away: the peer gets `close` (with `error` when given). */
  hangUp(error?: Error): void {
    this.endSoon(error, 'now');
  }

  /** The far end finished sending but still reads (a socket's half-close): the peer gets `end`. */
  halfClose(): void {
    this.events?.end?.();
  }

  /** The far end caught up: write pressure is gone and the peer gets `drain`. */
  drain(): void {
    this.unflushed = 0;
    this.events?.drain();
  }

  // ----- observations -----

  /** Bytes fed but held back because the peer paused the transport. */
  get pending(): number {
    return this.pendingChunks.reduce((n, c) => n + c.length, 0);
  }

  get paused(): boolean {
    return this.isPaused;
  }

  get pauses(): number {
    return this.calls.filter((c) => c === 'pause').length;
  }

  get resumes(): number {
    return this.calls.filter((c) => c === 'resume').length;
  }

  /** True once the peer was told the connection is gone (`close` event delivered). */
  get closedEventSent(): boolean {
    return this.ended;
  }

  /** Everything written, concatenated. */
  get output(): Uint8Array {
    if (!this.outputCache) {
      const out = new Uint8Array(this.outputLength);
      let at = 0;
      for (const w of this.writes) {
        out.set(w, at);
        at += w.length;
      }
      this.outputCache = out;
    }
    return this.outputCache;
  }

  /** Everything written, as a byte string (one char per byte). */
  get outputText(): string {
    return latin1(this.output);
  }

  /** The bytes written since the previous call, as a byte string. */
  takeText(): string {
    const s = latin1(this.output.subarray(this.taken));
    this.taken = this.outputLength;
    return s;
  }

  /** Frames written and not yet taken by {@link nextFrame}. */
  get unreadFrames(): readonly DecodedFrame[] {
    return this.unread;
  }

  /**
   * Resolves with the oldest untaken frame of `type` (and matching `match`), waiting up to
   * `timeout` ms for it, and takes it. Rejects on timeout or when the connection ends first.
   */
  nextFrame<T extends DecodedFrame['type']>(type: T, match?: (f: FrameOf<T>) => boolean, timeout?: number): Promise<FrameOf<T>>;
  nextFrame(match?: (f: DecodedFrame) => boolean, timeout?: number): Promise<DecodedFrame>;
  nextFrame(a?: string | ((f: DecodedFrame) => boolean), b?: ((f: never) => boolean) | number, c?: number): Promise<DecodedFrame> {
    let pred: (f: DecodedFrame) => boolean;
    let timeout: number;
    let what: string;
    if (typeof a === 'string') {
      const m = b as ((f: DecodedFrame) => boolean) | undefined;
      pred = (f) => f.type === a && (!m || m(f));
      timeout = c ?? 2000;
      what = `a '${a}' frame${m ? ' matching' : ''}`;
    } else {
      pred = a ?? (() => true);
      timeout = (b as number | undefined) ?? 2000;
      what = 'a matching frame';
    }
    const find = (): DecodedFrame | undefined => {
      const i = this.unread.findIndex(pred);
      return i < 0 ? undefined : this.unread.splice(i, 1)[0];
    };
    return new Promise((resolve, reject) => {
      const now = find();
      if (now) return resolve(now);
      const check = () => {
        const f = find();
        if (f) {
          done();
          resolve(f);
        } else if (this.ended || this.decodeError) {
          done();
          reject(new Error(`connection ended while waiting for ${what}; written: ${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeout} ms waiting for ${what}; written: ${this.describe()}`));
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /**
   * Resolves once `cond()` is true: re-checked on every write and control call, and every few
   * ms (so it may depend on anything). Rejects after `timeout` ms, naming `what`.
   */
  until(cond: () => boolean, what = 'a condition', timeout = 2000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (cond()) return resolve();
      const check = () => {
        if (cond()) {
          done();
          resolve();
        }
      };
      const poll = setInterval(check, 5);
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeout} ms waiting for ${what}; calls: ${this.calls.join(',')}; written: ${this.describe()}`));
      }, timeout);
      const done = () => {
        clearInterval(poll);
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** Resolves when the peer closed or destroyed the transport (or the far end hung up). */
  ends(timeout = 2000): Promise<void> {
    return this.until(() => this.ended, 'the connection to end', timeout);
  }

  /** The frames written so far, one line each (for failure messages). */
  describe(): string {
    const list = this.frames.map(describeFrame);
    if (this.decodeError) list.push(`<undecodable: ${this.decodeError.message}>`);
    return list.length > 40 ? `${list.slice(0, 20).join(' | ')} | … | ${list.slice(-20).join(' | ')}` : list.join(' | ');
  }

  // ----- internals -----

  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.events && !this.isPaused && !this.ended && this.pendingChunks.length > 0) {
        this.events.data(this.pendingChunks.shift()!);
      }
    } finally {
      this.delivering = false;
    }
    this.notify();
  }

  private scheduleDelivery(): void {
    if (this.deliveryScheduled) return;
    this.deliveryScheduled = true;
    queueMicrotask(() => {
      this.deliveryScheduled = false;
      this.deliver();
    });
  }

  private endSoon(error: Error | undefined, when: 'now' | 'microtask' = 'microtask'): void {
    const fire = () => {
      if (this.ended) return;
      this.ended = true;
      this.endedWith = error;
      this.pendingChunks.length = 0;
      this.events?.close(error);
      this.notify();
    };
    if (when === 'now') fire();
    else queueMicrotask(fire);
    this.notify();
  }

  /** The error the `close` event carried, if any. */
  get closeError(): Error | undefined {
    return this.endedWith;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

/**
 * A peer on a fresh {@link ScriptedTransport}. Heartbeats default to off here (pass
 * `heartbeatInterval` to turn them on) so that the bytes the peer writes are exactly its
 * replies.
 */
export function scriptedPeer(options: PeerOptions = {}, transport: ScriptedTransportOptions = {}): { peer: Peer; t: ScriptedTransport } {
  const t = new ScriptedTransport(transport);
  const peer = new Peer(t, { heartbeatInterval: 0, ...options });
  return { peer, t };
}
