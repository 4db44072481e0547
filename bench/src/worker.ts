import type { Command } from './jobs.ts';
import { Child, type Message } from './procs.ts';
import { failed, type Outcome } from './results.ts';

const START_TIMEOUT = 30_000;

/** The first line of an error's message, short enough for a table cell. */
export function reasonOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 120);
}

/**
 * A client process that runs commands (`client.ts` in `commands` mode), one at a time. A command
 * that takes longer than its budget kills the process; every later command then fails at once.
 */
export class Worker {
  private constructor(private readonly child: Child) {}

  /** Starts a client process and waits until it is ready for commands. */
  static async start(): Promise<Worker> {
    const child = new Child('client.ts', [JSON.stringify({ kind: 'commands' })]);
    try {
      await child.expect('ready', START_TIMEOUT);
    } catch (err) {
      await child.kill();
      throw err;
    }
    return new Worker(child);
  }

  /** Runs `command`; its result, or why there is none. Never rejects. */
  async run<T>(command: Command, budgetMs: number): Promise<Outcome<T>> {
    this.child.send(command as unknown as Message);
    try {
      const m = await this.child.next(budgetMs, 'a result');
      if (m.type === 'result') return { ok: true, value: m['result'] as T };
      return failed(m.type === 'failed' ? String(m['message']) : `unexpected "${m.type}"`);
    } catch (err) {
      await this.child.kill();
      return failed(reasonOf(err));
    }
  }

  stop(): Promise<void> {
    return this.child.kill();
  }
}
