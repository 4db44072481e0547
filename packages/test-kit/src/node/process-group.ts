import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Whether a process of group `pgid` is still running. On Linux, from /proc, not counting
 * zombies: an orphan that has exited waits there until init reaps it (which some inits do only
 * every few seconds), but it is gone. Elsewhere, whether the group can still be signalled.
 */
function groupRunning(pgid: number): boolean {
  if (process.platform === 'linux') {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A child process started in a process group of its own, with whatever it starts in turn. */
export interface ProcessGroup {
  readonly child: ChildProcess;
  /** The group's id: the child's pid. */
  readonly pid: number;
  /** True while any process of the group is running (exited ones not yet reaped do not count). */
  alive(): boolean;
  /**
   * Ends the whole group: SIGTERM to every process in it, then, if any is still there after
   * `graceMs`, SIGKILL. Resolves once no process of the group is left. Idempotent.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `command` detached, as the leader of a new process group, so that it and its children
 * can be ended together (a launcher such as `tsx` runs the program in a child of its own: killing
 * the launcher alone would leave the program running). `options` are spawn's (`detached` is set).
 */
export function startGroup(command: string, args: readonly string[], options: SpawnOptions = {}): ProcessGroup {
  const child = spawn(command, args, { ...options, detached: true });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  const signal = (sig: NodeJS.Signals): boolean => {
    try {
      process.kill(-pid, sig);
      return true;
    } catch {
      return false; // ESRCH: nobody is left in the group
    }
  };
  const gone = async (ms: number): Promise<boolean> => {
    const end = Date.now() + ms;
    while (groupRunning(pid)) {
      if (Date.now() > end) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  };
  let stopping: Promise<void> | null = null;
  return {
    child,
    pid,
    alive: () => groupRunning(pid),
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        if (!signal('SIGTERM')) return;
        if (await gone(graceMs)) return;
        signal('SIGKILL');
        if (!(await gone(5000))) throw new Error(`process group ${pid} (${command}) is still alive after SIGKILL`);
      })();
      return stopping;
    },
  };
}
