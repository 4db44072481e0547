import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Transport, TransportEvents, TransportInfo } from '@gotalk/peer';
import { DuplexTransport } from '../duplex-transport.ts';
import { WorkerExitedError, type ExitInfo } from '../worker-exit.ts';
import { ControlReader } from './control.ts';

/** How long after its exit a child's control channel may stay open (a grandchild inherited it) before the exit is judged without it. */
const CONTROL_LINGER = 1000;

/**
 * The parent's transport to a child process started by spawnProcess: Gotalk over the child's
 * fd 3, and the control channel on fd 4. The system closes fd 3 whether the child ended its
 * connection or crashed, so an end that the child did not announce (`bye`) is held until the
 * child has exited; then the connection ends with `WORKER_EXITED` (the exit code or signal, and
 * the uncaught error the child reported). An end announced, or one this side began, passes at once.
 */
export class ChildProcessTransport implements Transport {
  readonly info: TransportInfo;
  /** Resolves when the child has exited, with how (its reported error included). */
  readonly exited: Promise<ExitInfo>;
  readonly #inner: DuplexTransport;
  readonly #control: ControlReader;
  readonly #who: string;
  #events: TransportEvents | null = null;
  /** This side closed or destroyed the connection: its end is no news. */
  #local = false;
  #held: (() => void)[] = [];
  #done = false;

  constructor(child: ChildProcess, who: string, highWaterMark?: number) {
    this.#who = who;
    this.info = { kind: 'process', remote: who, pid: child.pid };
    this.#inner = new DuplexTransport(child.stdio[3] as Socket, { info: this.info, ...(highWaterMark !== undefined ? { highWaterMark } : {}) });
    this.#control = new ControlReader(child.stdio[4] as Readable, () => this.#release());
    const exit = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
    });
    this.exited = exit.then(async (e) => {
      // What the child reported before dying may still be on its way: read the channel to its end.
      let timer: NodeJS.Timeout | undefined;
      const linger = new Promise<void>((resolve) => (timer = setTimeout(resolve, CONTROL_LINGER)));
      await Promise.race([this.#control.ended, linger]);
      clearTimeout(timer);
      return { ...e, error: this.#control.error };
    });
    void this.exited.then((e) => this.#exited(e));
  }

  start(events: TransportEvents): void {
    this.#events = events;
    this.#inner.start({
      data: (chunk) => events.data(chunk),
      drain: () => events.drain(),
      ...(events.end ? { end: () => this.#gate(() => events.end!()) } : {}),
      close: (error) =>
        this.#gate(() => {
          if (this.#done) return;
          this.#done = true;
          events.close(error);
        }),
    });
  }

  write(bytes: Uint8Array): boolean {
    return this.#inner.write(bytes);
  }

  writev(pieces: readonly Uint8Array[]): boolean {
    return this.#inner.writev(pieces);
  }

  get bufferedAmount(): number {
    return this.#inner.bufferedAmount;
  }

  pause(): void {
    this.#inner.pause();
  }

  resume(): void {
    this.#inner.resume();
  }

  close(): void {
    this.#local = true;
    this.#release();
    this.#inner.close();
  }

  destroy(error?: Error): void {
    this.#local = true;
    this.#release();
    this.#inner.destroy(error);
  }

  /** Runs `event` now if the end is explained (announced, or this side's), else once the child's exit says what it was. */
  #gate(event: () => void): void {
    if (this.#local || this.#control.bye) event();
    else this.#held.push(event);
  }

  #release(): void {
    const held = this.#held;
    this.#held = [];
    for (const event of held) event();
  }

  #exited(exit: ExitInfo): void {
    if (this.#local || this.#control.bye) return this.#release();
    // It died without ending its connection: that is the reason, whatever fd 3 showed.
    this.#held = [];
    this.#inner.destroy();
    if (this.#done || !this.#events) return;
    this.#done = true;
    this.#events.close(new WorkerExitedError(this.#who, exit));
  }
}
