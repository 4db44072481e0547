import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveDescription, type Handlers, type Peer } from '@gotalk/peer';
import { listen, type Server, type ServerOptions } from '../server.ts';
import { ActivityLog, checkLevel, type ActivityLogOptions, type LogEntry } from './activity-log.ts';
import { ConfigStore, patchSchema, type AdminConfig } from './admin-config.ts';
import { ProcessStats, type ProcessFigures } from './process-stats.ts';
import { RequestStats, trackRequests, type RequestCounts } from './request-stats.ts';

/** Options of {@link openAdmin}; every one has a default. */
export interface AdminOptions<T = undefined> {
  /**
   * Where to listen: one address or several, any kind (default
   * `unix:<tmpdir>/gotalk-admin-<pid>.sock`). Unix sockets are owner-only (mode 0600) unless
   * `server.unixMode` says otherwise.
   */
  readonly address?: string | readonly string[];
  /** A one-line description of the service, for discovery. */
  readonly service?: string;
  /** The application's Gotalk servers: their connections and requests are counted in `stats` and logged. */
  readonly watch?: readonly Server[];
  /** A configuration to read (`config`) and change (`set-config`). */
  readonly config?: AdminConfig<T>;
  /** The log (default: a new {@link ActivityLog} with these options: `info`, JSON lines on stdout). */
  readonly log?: ActivityLog | ActivityLogOptions;
  /** More of the application's figures for `stats` (merged in at the top level). */
  readonly stats?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** The application's own health check for `health`: throw when unhealthy; what it returns is merged in. */
  readonly health?: () => Record<string, unknown> | void | Promise<Record<string, unknown> | void>;
  /** Options of the admin server itself (limits, `unixMode`, `accept`…), as for `listen()`. */
  readonly server?: Omit<ServerOptions, 'handlers'>;
}

/** What `stats` answers (plus the application's own figures). */
export interface AdminStats extends ProcessFigures {
  /** Open connections: to the watched servers (when there are any), and to this admin endpoint. */
  readonly connections: { readonly open?: number; readonly admin: number };
  /** Requests served and failed by name: the watched servers' ops and whatever `requests.record()` counted. */
  readonly requests: Record<string, RequestCounts>;
}

/** The notification every admin connection gets when the configuration changed: `{config, changed}`. */
export const CONFIG_CHANGED = 'config-changed';

/** The notification a connection that asked with `follow-log` gets for each log entry. */
export const LOG_NOTIFICATION = 'log';

/** The default admin address of this process. */
export function defaultAdminAddress(): string {
  return `unix:${join(tmpdir(), `gotalk-admin-${process.pid}.sock`)}`;
}

/**
 * An admin endpoint: a Gotalk server with the standard operations (`health`, `stats`, `config`,
 * `set-config`, `follow-log`, and `$describe`) on which the application registers its own
 * (`admin.handlers`). Made by {@link openAdmin}.
 */
export class AdminEndpoint<T = undefined> {
  /** Requests by name, for `stats`: count the application's own requests (HTTP, jobs) with `record()`. */
  readonly requests: RequestStats;
  readonly log: ActivityLog;
  readonly #config: ConfigStore<T> | undefined;
  readonly #process = new ProcessStats();
  readonly #stops: (() => void)[] = [];
  readonly #followers = new Map<Peer, () => void>();

  /** @internal Made by {@link openAdmin}. */
  constructor(
    readonly server: Server,
    private readonly options: AdminOptions<T>,
  ) {
    this.requests = new RequestStats();
    this.log = options.log instanceof ActivityLog ? options.log : new ActivityLog(options.log);
    this.#config = options.config ? new ConfigStore(options.config) : undefined;
    // The application's servers are counted and logged; of the admin server, connections and errors are logged.
    for (const s of options.watch ?? []) {
      this.#stops.push(trackRequests(s, (r) => this.requests.record(r.op, r.outcome)));
      this.#stops.push(this.log.watch(s));
    }
    this.#stops.push(this.log.watch(server, { requests: false }));
    server.on('disconnect', (peer) => this.#unfollow(peer));
    this.#register(server.handlers);
  }

  /** The registry of the admin operations: add the application's own here. */
  get handlers(): Handlers {
    return this.server.handlers;
  }

  /** Where it listens (the first address). */
  get address(): string {
    return this.server.addresses[0]!;
  }

  /** The current configuration (the first value until `set-config` changes it). */
  get config(): T {
    if (!this.#config) throw new TypeError('this admin endpoint has no configuration (openAdmin({ config }))');
    return this.#config.value;
  }

  /** The answer of `stats` now. */
  async stats(): Promise<AdminStats & Record<string, unknown>> {
    const watched = this.options.watch ?? [];
    const open = watched.reduce((n, s) => n + s.peers.size, 0);
    return {
      ...this.#process.read(),
      connections: { ...(watched.length > 0 ? { open } : {}), admin: this.server.peers.size },
      requests: this.requests.snapshot(),
      ...(await this.options.stats?.()),
    };
  }

  /** Closes the admin server (its Unix socket file is removed) and stops watching. */
  async close(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    for (const off of this.#followers.values()) off();
    this.#followers.clear();
    this.#process.stop();
    await this.server.close();
  }

  #unfollow(peer: Peer): boolean {
    const off = this.#followers.get(peer);
    off?.();
    return this.#followers.delete(peer);
  }

  #register(h: Handlers): void {
    h.handle(
      'health',
      async () => ({ status: 'ok', uptimeSeconds: Math.round(process.uptime() * 10) / 10, ...(await this.options.health?.()) }),
      'is the service up: {status, uptimeSeconds} and the application’s own checks (an error result when unhealthy)',
    );
    h.handle('stats', () => this.stats(), 'uptime, memory, event loop delay, open connections, requests served and failed by name with their rate');
    h.handle(
      'follow-log',
      (value, ctx) => {
        const peer = ctx.peer as Peer;
        if (value === false) {
          this.#unfollow(peer);
          return { following: false, level: this.log.level };
        }
        if (!this.#followers.has(peer)) {
          const send = (entry: LogEntry) => {
            if (peer.open) peer.notify(LOG_NOTIFICATION, { level: entry.level, msg: entry.msg, ...entry.fields });
          };
          this.#followers.set(peer, this.log.follow(send));
        }
        return { following: true, level: this.log.level };
      },
      'send this connection a "log" notification for each log entry at or above the log level (false: stop)',
    );
    h.handle(
      'log-level',
      (value) => {
        if (value !== null) this.log.level = checkLevel(value);
        return { level: this.log.level };
      },
      'the log level (debug, info, warn, error, silent); give one to change it',
    );
    const config = this.#config;
    if (config) {
      h.handle('config', () => config.value, { description: 'the current configuration', output: this.options.config!.schema });
      h.handle(
        'set-config',
        async (patch) => {
          const result = await config.change(patch);
          this.log.info('configuration changed', { changed: result.changed });
          for (const peer of this.server.peers) if (peer.open) peer.notify(CONFIG_CHANGED, result);
          return result;
        },
        {
          description: 'changes the configuration: the keys given replace the current ones; validated, and the application may refuse',
          input: patchSchema(this.options.config!.schema),
        },
      );
    }
    serveDescription(h, {
      ...(this.options.service ? { service: this.options.service } : {}),
      sends: [
        { name: CONFIG_CHANGED, description: 'the configuration changed: {config, changed}' },
        { name: LOG_NOTIFICATION, description: 'a log entry, after follow-log' },
      ],
    });
  }
}

/**
 * Opens an admin endpoint for this process (see {@link AdminEndpoint} and docs/admin-socket.md):
 * `const admin = await openAdmin({ address: 'unix:/run/app.sock', config: { schema, value } })`.
 */
export async function openAdmin<T = undefined>(options: AdminOptions<T> = {}): Promise<AdminEndpoint<T>> {
  const server = await listen(options.address ?? defaultAdminAddress(), { ws: { bundle: null }, ...options.server });
  try {
    return new AdminEndpoint(server, options);
  } catch (err) {
    await server.close();
    throw err;
  }
}
