// The control channel of a child process started by spawnProcess: a second socket (fd 4 in the
// child) beside the Gotalk one (fd 3), carrying lines the parent reads to tell a clean end from
// a crash, since both look alike on the Gotalk socket (the system closes it either way):
//   bye            the child's connection ends on purpose (written before its end reaches fd 3)
//   error <json>   the uncaught error that is ending the child ({ name, message, stack })
import { writeSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** The variable that tells a child process its Gotalk and control fds (`3,4`); connectToParent reads and removes it. */
export const PARENT_FDS_VARIABLE = 'GOTALK_PARENT_FDS';

/** The most the parent reads of the control channel; the child keeps its report well under it. */
const MAX_CONTROL = 64 * 1024;
const MAX_STACK = 8 * 1024;

/** The child's side: writes synchronously, so that the line is out before the process dies. */
export class ControlWriter {
  constructor(private readonly fd: number) {}

  bye(): void {
    this.#write('bye\n');
  }

  error(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    const report = { name: e.name, message: e.message.slice(0, MAX_STACK), stack: (e.stack ?? '').slice(0, MAX_STACK) };
    this.#write(`error ${JSON.stringify(report)}\n`);
  }

  #write(line: string): void {
    try {
      writeSync(this.fd, line);
    } catch {
      // the parent is gone: nobody to tell
    }
  }
}

/** The parent's side: what the child said, and when the channel ended (the child exited). */
export class ControlReader {
  /** The child ended its connection on purpose. */
  bye = false;
  /** The uncaught error the child reported, if any. */
  error: Error | null = null;
  /** Resolves when the channel has ended: the child and whatever inherited the fd are gone. */
  readonly ended: Promise<void>;
  #text = '';
  #size = 0;
  readonly #onBye: () => void;

  constructor(stream: Readable, onBye: () => void) {
    this.#onBye = onBye;
    this.ended = new Promise((resolve) => {
      stream.on('close', () => resolve());
      stream.on('error', () => resolve());
    });
    stream.setEncoding('utf8');
    stream.on('data', (s: string) => this.#read(s));
  }

  #read(s: string): void {
    this.#size += s.length;
    if (this.#size > MAX_CONTROL) return; // a child that floods its control channel is not listened to
    this.#text += s;
    let nl: number;
    while ((nl = this.#text.indexOf('\n')) >= 0) {
      const line = this.#text.slice(0, nl);
      this.#text = this.#text.slice(nl + 1);
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (line === 'bye') {
      this.bye = true;
      this.#onBye();
    } else if (line.startsWith('error ')) {
      this.error = reportedError(line.slice(6));
    }
  }
}

/** The error a report describes, or a plain one saying the report was unreadable. */
function reportedError(json: string): Error {
  try {
    const r = JSON.parse(json) as { name?: unknown; message?: unknown; stack?: unknown };
    const e = new Error(typeof r.message === 'string' ? r.message : '');
    if (typeof r.name === 'string') e.name = r.name;
    if (typeof r.stack === 'string') e.stack = r.stack;
    return e;
  } catch {
    return new Error('the child reported an uncaught error that could not be read');
  }
}
