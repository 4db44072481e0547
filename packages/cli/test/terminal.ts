// Running the real `gotalk` binary from tests: to completion with a piped stdin, or on a
// pseudo-terminal, through util-linux `script` or else python3's pty module (no native module).
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startGroup, type ProcessGroup } from '@gotalk/test-kit/node';

/** The built CLI. */
export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** What a finished `gotalk` run printed. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `gotalk ...args` to its end with `input` on stdin (a pipe); killed after `timeout` ms. */
export function runGotalk(args: readonly string[], options: { input?: string; env?: Record<string, string>; timeout?: number } = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gotalk ${args.join(' ')} did not exit within ${options.timeout ?? 15_000} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, options.timeout ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function has(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** How this machine gives a program a pseudo-terminal: util-linux `script`, python3's pty module, or not at all. */
export const PTY: 'script' | 'python' | null = has('script', ['-qfec', 'true', '/dev/null'])
  ? 'script'
  : has('python3', ['-c', 'import pty'])
    ? 'python'
    : null;

/**
 * What a terminal shows after `raw` was written to it, as lines of text: a small emulator of
 * what readline sends (carriage return, backspace, cursor to column, erase line or the rest of
 * it, erase below); other control sequences (colours) are dropped.
 */
export function plain(raw: string): string {
  const lines: string[] = [];
  let line: string[] = [];
  let col = 0;
  const token = /\x1b\[([0-9;?]*)([A-Za-z])|\r|\n|\x08|[^\x1b\r\n\x08]/gsu;
  for (const m of raw.matchAll(token)) {
    const t = m[0];
    if (t === '\n') {
      lines.push(line.join('').trimEnd());
      line = [];
      col = 0;
    } else if (t === '\r') col = 0;
    else if (t === '\x08') col = Math.max(0, col - 1);
    else if (m[2] !== undefined) {
      const n = Number(m[1] || '0');
      if (m[2] === 'G') col = Math.max(0, (n || 1) - 1);
      else if (m[2] === 'C') col += n || 1;
      else if (m[2] === 'D') col = Math.max(0, col - (n || 1));
      else if (m[2] === 'K') line = n === 2 ? [] : line.slice(0, col);
      else if (m[2] === 'J') line = line.slice(0, col);
    } else {
      while (line.length < col) line.push(' ');
      line[col++] = t;
    }
  }
  lines.push(line.join(''));
  return lines.join('\n');
}

/** A `gotalk` process on a pseudo-terminal, in a process group of its own that {@link stop} ends whole. */
export class Terminal {
  readonly group: ProcessGroup;
  raw = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], env: Record<string, string> = {}) {
    const command = [process.execPath, MAIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const options = { env: { ...process.env, TERM: 'xterm', COLUMNS: '200', LINES: '50', ...env }, stdio: 'pipe' as const };
    this.group =
      PTY === 'python'
        ? startGroup('python3', ['-c', 'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(["/bin/sh", "-c", sys.argv[1]])))', command], options)
        : startGroup('script', ['-qfec', command, '/dev/null'], options);
    this.group.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.raw += s));
    this.group.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.raw += s));
    this.exited = new Promise((resolve) => this.group.child.on('exit', (code) => resolve(code)));
  }

  /** What the terminal shows, without control sequences. */
  get text(): string {
    return plain(this.raw);
  }

  /** Types `keys`. */
  type(keys: string): void {
    this.group.child.stdin!.write(keys);
  }

  /**
   * Resolves once what was written from raw offset `from` on shows `what`; resolves with the raw
   * offset just past the write that made it show, for the next wait to start from.
   */
  async waitFor(what: string | RegExp, from = 0, timeout = 10_000): Promise<number> {
    const shows = (end: number) => {
      const text = plain(this.raw.slice(from, end));
      return typeof what === 'string' ? text.includes(what) : what.test(text);
    };
    const end = Date.now() + timeout;
    while (!shows(this.raw.length)) {
      if (Date.now() > end) throw new Error(`the terminal did not show ${String(what)} within ${timeout} ms; it shows:\n${plain(this.raw.slice(from))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The shortest stretch of output that shows it.
    let lo = from;
    let hi = this.raw.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (shows(mid)) hi = mid;
      else lo = mid + 1;
    }
    return hi;
  }

  /** Ends the process group (the shell, `script` and node alike). */
  stop(): Promise<void> {
    return this.group.stop(2000);
  }
}
