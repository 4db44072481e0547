import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Linux reports CPU times in clock ticks of 1/100 s (USER_HZ) on every common configuration. */
const TICK = 0.01;

/** The machine's CPU time counters (from /proc/stat), in seconds summed over cores, or null off Linux. */
interface CpuTimes {
  readonly total: number;
  readonly idle: number;
  readonly steal: number;
}

function cpuTimes(): CpuTimes | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest times are already in user)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    return { total: (user + nice + system + idle + iowait + irq + softirq + steal) * TICK, idle: (idle + iowait) * TICK, steal: steal * TICK };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat; 0 when it is gone. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK;
  } catch {
    return 0;
  }
}

/** How busy the machine was during a run, besides the run itself. */
export interface Busy {
  /** 1-minute load average at the start and at the end. */
  readonly loadStart: number;
  readonly loadEnd: number;
  /** Share of all cores' time in use (0..1), by anything. */
  readonly busy: number | null;
  /** Share of all cores' time used by this benchmark's own processes (runner and children). */
  readonly ours: number | null;
  /** Share used by other work on the machine: `busy - ours`. */
  readonly others: number | null;
  /** Share stolen by the hypervisor for other guests. */
  readonly steal: number | null;
}

/** Starts watching the machine; `stop(ownCpuSeconds)` says how busy it was since. */
export function watchMachine(): { stop(ownCpuSeconds: number): Busy } {
  const loadStart = loadavg()[0]!;
  const start = cpuTimes();
  const selfStart = process.cpuUsage();
  return {
    stop(ownCpuSeconds: number): Busy {
      const end = cpuTimes();
      const self = process.cpuUsage(selfStart);
      const r2 = (n: number) => Math.round(n * 1000) / 1000;
      const base = { loadStart: r2(loadStart), loadEnd: r2(loadavg()[0]!) };
      if (!start || !end || end.total <= start.total) return { ...base, busy: null, ours: null, others: null, steal: null };
      const total = end.total - start.total;
      const busy = (total - (end.idle - start.idle)) / total;
      const ours = Math.min(busy, (ownCpuSeconds + (self.user + self.system) / 1e6) / total);
      return { ...base, busy: r2(busy), ours: r2(ours), others: r2(Math.max(0, busy - ours)), steal: r2((end.steal - start.steal) / total) };
    },
  };
}
