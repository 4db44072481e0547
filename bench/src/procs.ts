import { fork, type ChildProcess } from 'node:child_process';
import { processCpuSeconds } from './busy.ts';
import { compiled } from './compile.ts';

/** Every message between the runner and its children is a plain object with a `type`. */
export interface Message {
  readonly type: string;
  readonly [key: string]: unknown;
}

const live = new Set<Child>();
let childCpu = 0;

/** CPU seconds used by the children killed so far (read just before each is killed). */
export const childCpuSeconds = (): number => childCpu;

/**
 * A child process (a server or a client) running one of this package's scripts, compiled (see {@link compiled}),
 * spoken to over IPC. Every child is killed when the runner exits, however it exits.
 */
export class Child {
  /** The process itself (for the runner's last-resort kill). */
  readonly proc: ChildProcess;
  private readonly inbox: Message[] = [];
  private waiter: ((m: Message | null) => void) | null = null;
  private exited = false;
  private counted = false;
  readonly exit: Promise<number | null>;

  constructor(script: string, args: readonly string[] = []) {
    this.proc = fork(compiled(script), [...args], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this);
    this.proc.on('message', (m) => this.deliver(m as Message));
    this.proc.on('error', () => {});
    this.exit = new Promise((resolve) =>
      this.proc.once('exit', (code) => {
        this.exited = true;
        live.delete(this);
        this.waiter?.(null);
        this.waiter = null;
        resolve(code);
      }),
    );
  }

  send(message: Message): void {
    if (!this.exited && this.proc.connected) this.proc.send(message);
  }

  /** The next message; rejects after `timeoutMs` or when the child exits first. */
  next(timeoutMs: number, what = 'a message'): Promise<Message> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exited) return Promise.reject(new Error(`the child exited before ${what}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`timeout (${Math.round(timeoutMs / 1000)} s) waiting for ${what}`));
      }, timeoutMs);
      this.waiter = (m) => {
        clearTimeout(timer);
        this.waiter = null;
        if (m) resolve(m);
        else reject(new Error(`the child exited before ${what}`));
      };
    });
  }

  /** Waits for a message of `type`; an `error` message rejects with its text. */
  async expect(type: string, timeoutMs: number): Promise<Message> {
    const m = await this.next(timeoutMs, `"${type}"`);
    if (m.type === 'error') throw new Error(String(m['message']));
    if (m.type !== type) throw new Error(`expected "${type}", got "${m.type}"`);
    return m;
  }

  /** Sends `message` and waits for the reply of type `reply`. */
  async ask(message: Message, reply: string, timeoutMs = 30_000): Promise<Message> {
    this.send(message);
    return this.expect(reply, timeoutMs);
  }

  /** Kills the child (SIGKILL after a grace period) and waits for it to be gone. */
  async kill(): Promise<void> {
    if (this.exited) return;
    if (!this.counted) childCpu += processCpuSeconds(this.proc.pid);
    this.counted = true;
    this.proc.kill('SIGTERM');
    const hard = setTimeout(() => this.proc.kill('SIGKILL'), 1000);
    await this.exit;
    clearTimeout(hard);
  }

  private deliver(m: Message): void {
    if (this.waiter) this.waiter(m);
    else this.inbox.push(m);
  }
}

/** Kills every child still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.kill()));
}

/** Synchronous last resort, for `exit` handlers. */
function killAllNow(): void {
  for (const c of live) c.proc.kill('SIGKILL');
}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllNow();
    process.exit(130);
  });
}

/** In a child: exit when the runner goes away, so nothing outlives a run. */
export function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

/** In a child: sends a message to the runner; resolves once it is handed to the channel. */
export function tell(message: Message): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

const parentInbox: Message[] = [];
let parentWaiter: ((m: Message) => void) | null = null;
let listening = false;

/** In a child: the next message from the runner (none is lost between calls). */
export function nextFromParent(): Promise<Message> {
  if (!listening) {
    listening = true;
    process.on('message', (m) => {
      if (parentWaiter) {
        const w = parentWaiter;
        parentWaiter = null;
        w(m as Message);
      } else parentInbox.push(m as Message);
    });
  }
  const queued = parentInbox.shift();
  if (queued) return Promise.resolve(queued);
  return new Promise((resolve) => (parentWaiter = resolve));
}
