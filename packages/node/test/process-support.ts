// Child processes of the tests: started as one node process each (no launcher in between), so
// that killing it ends its whole tree, and killed by the Cleanup that started them.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Cleanup } from '@gotalk/test-kit';

/** Runs the TypeScript module `url` in a node child process (with tsx), killed (SIGKILL) at cleanup if still running. */
export function tsProcess(cleanup: Cleanup, url: URL, options: SpawnOptions = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(url)], { stdio: ['pipe', 'pipe', 'inherit'], ...options });
  cleanup.add(() => killed(child));
  return child;
}

/** Kills `child` (SIGKILL) unless it has exited, and resolves once it has. */
export function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * The live processes whose parent is this one (from ps, leaving out that ps): none should be
 * left after a test. Zombies (`<defunct>`) are left out: they have exited, and are only not
 * reaped yet (the esbuild service that tsx starts inside a worker thread, once the thread is
 * gone, is reaped when this process exits).
 */
export function childProcesses(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^\d+ ps /.test(line) && !line.endsWith('<defunct>'));
}
