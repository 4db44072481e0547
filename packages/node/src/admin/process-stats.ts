import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** The process's figures that `stats` reports, besides requests and connections. */
export interface ProcessFigures {
  readonly pid: number;
  /** Seconds since the process started. */
  readonly uptimeSeconds: number;
  /** Bytes, as `process.memoryUsage()` says. */
  readonly memory: { readonly rss: number; readonly heapUsed: number; readonly heapTotal: number; readonly external: number };
  /** Event loop delay in ms since the monitor started: how late timers ran (0 until sampled). */
  readonly eventLoopDelayMs: { readonly mean: number; readonly p50: number; readonly p99: number; readonly max: number };
}

const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);

/** Samples the process's uptime, memory and event loop delay; {@link stop} ends the delay monitor. */
export class ProcessStats {
  readonly #delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });

  constructor() {
    this.#delay.enable();
  }

  /** The figures now. */
  read(): ProcessFigures {
    const m = process.memoryUsage();
    const d = this.#delay;
    return {
      pid: process.pid,
      uptimeSeconds: Math.round(process.uptime() * 10) / 10,
      memory: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external },
      eventLoopDelayMs: { mean: ms(d.mean), p50: ms(d.percentile(50)), p99: ms(d.percentile(99)), max: ms(d.max) },
    };
  }

  stop(): void {
    this.#delay.disable();
  }
}
