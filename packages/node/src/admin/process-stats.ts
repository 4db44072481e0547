import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** The process's figures that `stats` reports, besides requests and connections. */
export interface ProcessFigures {
  readonly pid: number;
  /** Seconds since the process started. */
  readonly uptimeSeconds: number;
  /** Bytes, as `process.memoryUsage()` says. */
  readonly memory: { readonly rss: number; readonly heapUsed: number; readonly heapTotal: number; readonly external: number };
  /** Event loop delay in ms since the monitor started: how late a timer ran past its time (0 until sampled). */
  readonly eventLoopDelayMs: { readonly mean: number; readonly p50: number; readonly p99: number; readonly max: number };
}

/** How often the delay monitor's timer runs, in ms. */
const RESOLUTION = 10;

/**
 * A sample of the monitor in ms, less its own interval: Node records the whole time between
 * two runs of its timer, so an idle loop reads RESOLUTION, not 0.
 */
const lateness = (ns: number) => (Number.isFinite(ns) && ns > 0 ? Math.max(0, Math.round((ns / 1e6 - RESOLUTION) * 100) / 100) : 0);

/** Samples the process's uptime, memory and event loop delay; {@link stop} ends the delay monitor. */
export class ProcessStats {
  readonly #delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION });

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
      eventLoopDelayMs: { mean: lateness(d.mean), p50: lateness(d.percentile(50)), p99: lateness(d.percentile(99)), max: lateness(d.max) },
    };
  }

  /** Stops the event loop delay monitor. */
  stop(): void {
    this.#delay.disable();
  }
}
