// The admin endpoint: its standard operations over a real Unix socket, the configuration's
// validation and refusals, the levelled activity log through a fake logger, and the request
// counts (bounded names, the rate over a fake clock).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  ActivityLog,
  connect,
  DESCRIBE_OP,
  openAdmin,
  RemoteError,
  MAX_NAMES,
  RequestStats,
  type AdminEndpoint,
  type AdminStats,
  type LogEntry,
  type Logger,
  type Peer,
  type ServiceDescription,
} from '@gotalk/node';
import { Cleanup, errorOf, waitFor } from '@gotalk/test-kit';
import { serve, tempDir } from '@gotalk/test-kit/node';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const Config = z.object({ rateLimit: z.number().int().min(1), greeting: z.string() });
type Config = z.infer<typeof Config>;

/** A pino-shaped logger that records its calls. */
function fakeLogger(): Logger & { calls: { level: string; fields: Record<string, unknown>; msg: string }[] } {
  const calls: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void calls.push({ level, fields, msg });
  return { calls, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function adminClient(admin: AdminEndpoint<unknown>): Promise<Peer> {
  const peer = await connect(admin.address);
  cleanup.add(() => peer.destroy());
  return peer;
}

async function open<T>(options: Parameters<typeof openAdmin<T>>[0] = {}): Promise<AdminEndpoint<T>> {
  const dir = await tempDir(cleanup);
  const admin = await openAdmin<T>({ address: `unix:${join(dir, 'admin.sock')}`, log: { logger: fakeLogger() }, ...options });
  cleanup.add(() => admin.close());
  return admin;
}

describe('openAdmin', () => {
  it('listens on an owner-only Unix socket and answers health and stats, counting the watched server’s requests', async () => {
    const app = await serve(cleanup, 'tcp://127.0.0.1:0');
    app.handlers.handle('work', () => 'done');
    app.handlers.handle('break', () => {
      throw new Error('broken');
    });
    const admin = await open({ watch: [app], stats: () => ({ queue: 3 }) });
    expect((await stat(admin.address.slice('unix:'.length))).mode & 0o777).toBe(0o600);
    const user = await connect(app.addresses[0]!);
    cleanup.add(() => user.destroy());
    await user.request('work');
    await user.request('work');
    await errorOf(user.request('break'));
    const client = await adminClient(admin);
    expect(await client.request('health')).toMatchObject({ status: 'ok', uptimeSeconds: expect.any(Number) });
    const stats = (await client.request('stats')) as AdminStats;
    expect(stats).toMatchObject({
      pid: process.pid,
      uptimeSeconds: expect.any(Number),
      memory: { rss: expect.any(Number), heapUsed: expect.any(Number) },
      eventLoopDelayMs: { mean: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
      connections: { open: 1, admin: 1 },
      queue: 3,
    });
    expect(stats.requests['work']).toEqual({ served: 2, failed: 0, perSecond: 0.2 });
    expect(stats.requests['break']).toMatchObject({ served: 0, failed: 1 });
    // The admin's own requests are not the application's.
    expect(stats.requests['health']).toBeUndefined();
  });

  it('an unhealthy application answers health with an error result', async () => {
    const admin = await open({
      health: () => {
        throw new RemoteError('the database is down', { code: 'UNHEALTHY' });
      },
    });
    const client = await adminClient(admin);
    expect(await errorOf(client.request('health'))).toMatchObject({ code: 'UNHEALTHY', message: 'the database is down' });
  });

  it('describes itself: the standard ops, the application’s own, the config schemas', async () => {
    const admin = await open<Config>({ service: 'a test app', config: { schema: Config, value: { rateLimit: 5, greeting: 'hi' } } });
    admin.handlers.handle('reload', () => null, 'reloads');
    const d = (await (await adminClient(admin)).request(DESCRIBE_OP)) as ServiceDescription;
    expect(d.service).toBe('a test app');
    expect(d.operations.map((o) => o.name)).toEqual(['config', 'follow-log', 'health', 'log-level', 'reload', 'set-config', 'stats']);
    const byName = Object.fromEntries(d.operations.map((o) => [o.name, o]));
    expect(byName['config']!.output).toMatchObject({ type: 'object', required: ['rateLimit', 'greeting'] });
    // A patch: any subset of the keys.
    expect(byName['set-config']!.input).toMatchObject({ type: 'object', properties: { rateLimit: { type: 'integer', minimum: 1 } } });
    expect(byName['set-config']!.input).not.toHaveProperty('required');
    expect(d.sends.map((n) => n.name)).toEqual(['config-changed', 'log']);
  });
});

describe('the configuration', () => {
  it('reads, changes by patch (the application told first), and tells every admin connection', async () => {
    const told: [Config, Config][] = [];
    const admin = await open<Config>({
      config: { schema: Config, value: { rateLimit: 5, greeting: 'hi' }, onChange: (next, prev) => void told.push([next, prev]) },
    });
    const a = await adminClient(admin);
    const b = await adminClient(admin);
    const seen: unknown[] = [];
    b.handlers.onNotification('config-changed', (v) => void seen.push(v));
    expect(await a.request('config')).toEqual({ rateLimit: 5, greeting: 'hi' });
    expect(await a.request('set-config', { rateLimit: 9 })).toEqual({ config: { rateLimit: 9, greeting: 'hi' }, changed: ['rateLimit'] });
    expect(told).toEqual([
      [
        { rateLimit: 9, greeting: 'hi' },
        { rateLimit: 5, greeting: 'hi' },
      ],
    ]);
    expect(admin.config).toEqual({ rateLimit: 9, greeting: 'hi' });
    expectTypeOf(admin.config).toEqualTypeOf<Config>();
    // @ts-expect-error: the first value must be of the schema's type
    void (() => openAdmin<Config>({ config: { schema: Config, value: { rateLimit: 'many', greeting: 'hi' } } }));
    await waitFor(() => seen.length === 1, 'the config-changed notification');
    expect(seen[0]).toEqual({ config: { rateLimit: 9, greeting: 'hi' }, changed: ['rateLimit'] });
  });

  it('a value that fails the schema is INVALID_CONFIG with its issues, and nothing changes', async () => {
    const onChange = () => {
      throw new Error('never asked');
    };
    const admin = await open<Config>({ config: { schema: Config, value: { rateLimit: 5, greeting: 'hi' }, onChange } });
    const a = await adminClient(admin);
    const err = await errorOf(a.request('set-config', { rateLimit: 0 }));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ code: 'INVALID_CONFIG', data: { issues: [{ path: 'rateLimit', message: expect.stringMatching(/>=1/) }] } });
    expect(await errorOf(a.request('set-config', 'not an object'))).toMatchObject({ code: 'INVALID_CONFIG' });
    expect(admin.config).toEqual({ rateLimit: 5, greeting: 'hi' });
  });

  it('the application may refuse: its RemoteError as it is, any other error as CONFIG_REFUSED', async () => {
    const admin = await open<Config>({
      config: {
        schema: Config,
        value: { rateLimit: 5, greeting: 'hi' },
        onChange: (next) => {
          if (next.rateLimit > 100) throw new RemoteError('too generous', { code: 'TOO_GENEROUS', data: { max: 100 } });
          if (next.greeting === 'no') throw new Error('not that greeting');
        },
      },
    });
    const a = await adminClient(admin);
    expect(await errorOf(a.request('set-config', { rateLimit: 1000 }))).toMatchObject({ code: 'TOO_GENEROUS', message: 'too generous', data: { max: 100 } });
    expect(await errorOf(a.request('set-config', { greeting: 'no' }))).toMatchObject({ code: 'CONFIG_REFUSED', message: 'not that greeting' });
    expect(admin.config).toEqual({ rateLimit: 5, greeting: 'hi' });
  });

  it('a first value that fails the schema throws at once and leaves no socket open', async () => {
    const dir = await tempDir(cleanup);
    const address = `unix:${join(dir, 'bad.sock')}`;
    await expect(openAdmin({ address, config: { schema: Config, value: { rateLimit: 0, greeting: '' } } })).rejects.toThrow(/invalid configuration/);
    await expect(stat(join(dir, 'bad.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('the activity log', () => {
  it('connections at info, requests at debug, failures at warn, to a pino-shaped logger; the level changes live', async () => {
    const logger = fakeLogger();
    const app = await serve(cleanup, 'tcp://127.0.0.1:0');
    app.handlers.handle('work', () => 'done');
    app.handlers.handle('break', () => {
      throw new Error('broken');
    });
    const admin = await open({ watch: [app], log: { level: 'info', logger } });
    const user = await connect(app.addresses[0]!);
    cleanup.add(() => user.destroy());
    await user.request('work');
    await errorOf(user.request('break'));
    await waitFor(() => logger.calls.some((c) => c.msg === 'request failed'), 'the failure logged');
    expect(logger.calls.map((c) => [c.level, c.msg])).toEqual([
      ['info', 'connection opened'],
      ['warn', 'request failed'],
    ]);
    expect(logger.calls[0]!.fields).toMatchObject({ kind: 'tcp', remote: expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/) });
    expect(logger.calls[1]!.fields).toMatchObject({ op: 'break', ms: expect.any(Number), error: 'broken' });
    // Through the admin socket: debug shows each request.
    const client = await adminClient(admin);
    expect(await client.request('log-level', 'debug')).toEqual({ level: 'debug' });
    logger.calls.length = 0;
    await user.request('work');
    await waitFor(() => logger.calls.some((c) => c.msg === 'request' && c.fields['op'] === 'work'), 'the request logged at debug');
    expect(await errorOf(client.request('log-level', 'loud'))).toMatchObject({
      message: expect.stringMatching(/must be one of debug, info, warn, error, silent/),
    });
    user.destroy();
    await waitFor(() => logger.calls.some((c) => c.msg === 'connection closed'), 'the close logged');
  });

  it('follow-log sends a connection each entry as a "log" notification until it stops', async () => {
    const admin = await open();
    const client = await adminClient(admin);
    const seen: unknown[] = [];
    client.handlers.onNotification('log', (v) => void seen.push(v));
    expect(await client.request('follow-log')).toEqual({ following: true, level: 'info' });
    admin.log.info('hello', { n: 1 });
    admin.log.debug('below the level');
    await waitFor(() => seen.length === 1, 'the log notification');
    expect(seen[0]).toEqual({ level: 'info', msg: 'hello', n: 1 });
    expect(await client.request('follow-log', false)).toEqual({ following: false, level: 'info' });
    admin.log.info('not sent');
    await client.request('health'); // a round trip after the entry: a notification would have come first
    expect(seen).toHaveLength(1);
  });

  it('a function sink gets whole entries; a sink that throws breaks nothing', () => {
    const entries: LogEntry[] = [];
    const log = new ActivityLog({ level: 'warn', logger: (e) => entries.push(e) });
    log.info('dropped');
    log.warn('kept', { a: 1 });
    expect(entries).toEqual([{ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: 'warn', msg: 'kept', fields: { a: 1 } }]);
    const throwing = new ActivityLog({
      logger: () => {
        throw new Error('sink down');
      },
    });
    expect(() => throwing.error('x')).not.toThrow();
    expect(() => (log.level = 'loud' as never)).toThrow(TypeError);
    log.level = 'silent';
    log.error('nothing');
    expect(entries).toHaveLength(1);
  });
});

describe('RequestStats', () => {
  it('averages the rate over the last 10 seconds of a fake clock', () => {
    let now = 1_000_000;
    const stats = new RequestStats(() => now);
    for (let i = 0; i < 20; i++) stats.record('GET /', 'served');
    stats.record('GET /', 'failed');
    expect(stats.snapshot()['GET /']).toEqual({ served: 20, failed: 1, perSecond: 2.1 });
    now += 5_000;
    stats.record('GET /', 'served');
    expect(stats.snapshot()['GET /']!.perSecond).toBe(2.2);
    now += 6_000; // the first second has left the window
    expect(stats.snapshot()['GET /']).toEqual({ served: 21, failed: 1, perSecond: 0.1 });
  });

  it('keeps at most MAX_NAMES names; the rest share "(other)"', () => {
    const stats = new RequestStats();
    for (let i = 0; i < MAX_NAMES + 50; i++) stats.record(`op-${i}`, 'served');
    const snapshot = stats.snapshot();
    expect(Object.keys(snapshot)).toHaveLength(MAX_NAMES + 1);
    expect(snapshot['(other)']).toMatchObject({ served: 50 });
    stats.record('op-0', 'served');
    expect(stats.snapshot()['op-0']).toMatchObject({ served: 2 });
  });
});
