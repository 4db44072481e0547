import type { Peer } from '@gotalk/peer';
import type { Server } from '../server.ts';
import { trackRequests } from './request-stats.ts';

/** Log levels, least severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** A log level: `debug` < `info` < `warn` < `error`; `silent` turns logging off. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One log entry: its level, message and fields. */
export interface LogEntry {
  /** ISO 8601. */
  readonly time: string;
  readonly level: Exclude<LogLevel, 'silent'>;
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * The logger shape of pino and bunyan (and close to console's): one method a level, called
 * with the entry's fields and its message. winston's methods take the message first; pass a
 * function instead (`(e) => winston.log(e.level, e.msg, e.fields)`).
 */
export interface Logger {
  /** Logs a `debug` entry: its fields, then its message. */
  debug(fields: Record<string, unknown>, msg: string): void;
  /** Logs an `info` entry. */
  info(fields: Record<string, unknown>, msg: string): void;
  /** Logs a `warn` entry. */
  warn(fields: Record<string, unknown>, msg: string): void;
  /** Logs an `error` entry. */
  error(fields: Record<string, unknown>, msg: string): void;
}

/** Where log entries go: a {@link Logger}, or a function given each entry. */
export type LogSink = Logger | ((entry: LogEntry) => void);

/** Options of {@link ActivityLog}. */
export interface ActivityLogOptions {
  /** Entries below this level are dropped (default `info`). */
  readonly level?: LogLevel;
  /** Where entries go (default: JSON lines on stdout, `{"time","level","msg",...fields}`). */
  readonly logger?: LogSink;
}

/** Throws a TypeError unless `level` is one of {@link LOG_LEVELS}. */
export function checkLevel(level: unknown): LogLevel {
  if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new TypeError(`the log level must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(level)}`);
  }
  return level as LogLevel;
}

/** The default sink: one JSON object a line on stdout. */
function jsonLines(entry: LogEntry): void {
  process.stdout.write(`${JSON.stringify({ time: entry.time, level: entry.level, msg: entry.msg, ...entry.fields })}\n`);
}

function sinkOf(logger: LogSink | undefined): (entry: LogEntry) => void {
  if (!logger) return jsonLines;
  if (typeof logger === 'function') return logger;
  return (e) => logger[e.level]({ ...e.fields }, e.msg);
}

function who(peer: Peer): Record<string, unknown> {
  const info = peer.info;
  return info ? { kind: info.kind, ...(info.remote ? { remote: info.remote } : {}) } : {};
}

/**
 * A levelled log for a service and the activity of its Gotalk servers ({@link watch}):
 * connections opened and closed at `info` (closed by an error at `warn`), each request answered
 * at `debug` and each failed one at `warn` (with its handler's error), other errors (frames
 * refused, notification handlers that threw, listener errors) at `error`. The level can change at any time.
 * A sink that throws loses that entry and nothing else.
 */
export class ActivityLog {
  #level: LogLevel;
  readonly #sink: (entry: LogEntry) => void;
  readonly #listeners = new Set<(entry: LogEntry) => void>();

  constructor(options: ActivityLogOptions = {}) {
    this.#level = checkLevel(options.level ?? 'info');
    this.#sink = sinkOf(options.logger);
  }

  /** The current level; setting it checks it (a TypeError for an unknown level). */
  get level(): LogLevel {
    return this.#level;
  }
  set level(level: LogLevel) {
    this.#level = checkLevel(level);
  }

  /** Whether entries of `level` are logged now. */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.#level);
  }

  /** Logs `msg` with `fields` at `level`, if the level lets it through. */
  log(level: Exclude<LogLevel, 'silent'>, msg: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    const entry: LogEntry = { time: new Date().toISOString(), level, msg, fields };
    try {
      this.#sink(entry);
    } catch {
      // a logger must not break the service
    }
    for (const fn of this.#listeners) {
      try {
        fn(entry);
      } catch {
        // nor must a follower
      }
    }
  }

  /** Logs at `debug`. */
  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }
  /** Logs at `info`. */
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  /** Logs at `warn`. */
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  /** Logs at `error`. */
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }

  /** Calls `fn` with every entry logged from now on (after the sink); returns the unsubscribe. */
  follow(fn: (entry: LogEntry) => void): () => void {
    this.#listeners.add(fn);
    return () => void this.#listeners.delete(fn);
  }

  /**
   * Logs `server`'s connections, requests and errors (see the class); with `requests: false`,
   * not its requests. Returns the function that stops.
   */
  watch(server: Server, options: { readonly requests?: boolean } = {}): () => void {
    const opened = (peer: Peer) => this.info('connection opened', who(peer));
    const closed = (peer: Peer, info: { reason: string; error: Error | null }) => {
      if (info.error) this.warn('connection closed', { ...who(peer), reason: info.reason, error: info.error.message });
      else this.info('connection closed', { ...who(peer), reason: info.reason });
    };
    const failed = (err: Error) => this.error(err.message, { error: err.name });
    const stopTracking =
      options.requests === false
        ? () => {}
        : trackRequests(server, (r) => {
            if (r.outcome === 'failed')
              this.warn('request failed', { op: r.op, ms: r.ms, ...(r.error !== undefined ? { error: r.error } : {}), ...who(r.peer) });
            else this.debug('request', { op: r.op, ms: r.ms, ...who(r.peer) });
          });
    const onActivity = (peer: Peer, e: Parameters<Parameters<Peer['onActivity']>[0]>[0]) => {
      // A handler's error (with a request id) is logged with its failed request instead.
      if (e.type === 'error' && e.id === undefined) this.error(e.error.message, { ...who(peer), ...(e.op ? { op: e.op } : {}) });
    };
    server.on('connection', opened);
    server.on('disconnect', closed);
    server.on('error', failed);
    server.on('activity', onActivity);
    return () => {
      stopTracking();
      server.off('connection', opened);
      server.off('disconnect', closed);
      server.off('error', failed);
      server.off('activity', onActivity);
    };
  }
}
