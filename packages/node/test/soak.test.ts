// `pnpm soak` (scripts/soak) in short: it runs clean against the real server, and it notices a
// server that answers wrong, fails requests or keeps memory. The soak runs against the build
// (its server imports @gotalk/node): `pnpm run build` first, as `pnpm test` does.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TIMEOUT = 90_000;

/** Runs the soak with `args` in a process group of its own (killed whole on timeout); resolves with its exit code and output. */
function soak(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/soak/main.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, TIMEOUT - 5_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** The server's pid and Unix socket directory, from the soak's output. */
function serverOf(out: string): { pid: number; dir: string } {
  const m = /server pid (\d+) on .*unix:(\S+?)\/soak\.sock/.exec(out);
  if (!m) throw new Error(`no server line in:\n${out}`);
  return { pid: Number(m[1]), dir: m[2]! };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('pnpm soak', () => {
  it(
    'runs clean: every request answered right, memory and fds back where they were, the server gone',
    async () => {
      const { code, out } = await soak(['--seconds', '2', '--clients', '3', '--requests', '20', '--seed', '5']);
      expect(out).toMatch(/server at the start .*heap used [\d.]+ MiB.*; \d+ fds; 1 connections; handles: /);
      expect(out).toMatch(/server at the end .*heap used [\d.]+ MiB.*; \d+ fds; 1 connections; handles: /);
      for (const kind of ['echo', 'echo-json', 'delay', 'stream-echo', 'server-stream', 'notification', 'call-back']) {
        expect(out).toMatch(new RegExp(`\\n  ${kind}: (\\d+) sent, \\1 ok, 0 wrong, 0 lost\\n`));
      }
      expect(out).toContain('ok   requests lost: 0\n');
      expect(out).toContain('ok   requests wrong: 0\n');
      expect(code, out).toBe(0);
      const { pid, dir } = serverOf(out);
      expect(alive(pid)).toBe(false);
      expect(existsSync(dir)).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'fails when the server answers wrong, fails requests or keeps what it was sent',
    async () => {
      const { code, out } = await soak([
        '--seconds',
        '2',
        '--clients',
        '3',
        '--requests',
        '20',
        '--seed',
        '6',
        '--fault',
        'wrong-echo,fail-echo,leak',
        '--heap-bound',
        '2',
      ]);
      expect(out).toMatch(/\nFAIL requests lost: [1-9]\d*\n/);
      expect(out).toMatch(/\nFAIL requests wrong: [1-9]\d*\n/);
      expect(out).toMatch(/\nFAIL server memory after GC \(heap used \+ external\) grew [\d.]+ MiB \(bound 2 MiB\)\n/);
      expect(out).toMatch(/lost \(.*\): echo failed with REMOTE_ERROR failed on purpose/);
      expect(code, out).toBe(1);
      expect(alive(serverOf(out).pid)).toBe(false);
    },
    TIMEOUT,
  );
});
