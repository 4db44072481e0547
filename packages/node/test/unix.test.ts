// Unix socket listeners: file mode, stale socket files, never stealing a live socket.
import { lstatSync, statSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { connect as netConnect, createServer as createNetServer, Server as NetServerClass, type ListenOptions, type Server as NetServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, listen, NodeError, type Server, type ServerOptions } from '@gotalk/node';
import { Cleanup, within } from '@gotalk/test-kit';
import { serve, tempDir } from '@gotalk/test-kit/node';
import { staleSocket } from './support.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A server on the Unix socket `path` (stopped by cleanup) with an `echo` operation. */
async function echoServer(path: string, options: ServerOptions = {}): Promise<Server> {
  const server = await serve(cleanup, `unix:${path}`, options);
  server.handlers.handle('echo', (v) => v);
  return server;
}

/** The error `listen(address)` fails with; if it listens instead, it is closed and the test fails with `why`. */
async function listenFailure(address: string, why: string): Promise<unknown> {
  return listen(address).then(
    async (s) => {
      await s.close();
      throw new Error(why);
    },
    (e: unknown) => e,
  );
}

async function roundTrip(path: string): Promise<unknown> {
  const client = await connect(`unix:${path}`);
  try {
    return await client.request('echo', { via: path });
  } finally {
    client.destroy();
  }
}

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

/** The most bytes of a Unix socket path (sun_path less its NUL): 107 on Linux, 103 on macOS and the BSDs. */
const SUN_PATH_MAX = process.platform === 'linux' ? 107 : 103;

describe('Unix socket listeners', () => {
  it('creates the socket owner-only (0600) by default, and removes it on close', async () => {
    const path = join(await tempDir(cleanup), 'mode.sock');
    const server = await listen(`unix:${path}`);
    try {
      const s = await stat(path);
      expect(s.isSocket()).toBe(true);
      expect(s.mode & 0o777).toBe(0o600);
      server.handlers.handle('echo', (v) => v);
      expect(await roundTrip(path)).toEqual({ via: path });
    } finally {
      await server.close();
    }
    expect(await exists(path)).toBe(false);
  });

  it('uses the configured unixMode', async () => {
    const path = join(await tempDir(cleanup), 'group.sock');
    await echoServer(path, { unixMode: 0o660 });
    expect((await stat(path)).mode & 0o777).toBe(0o660);
  });

  it('replaces a stale socket file left by a process that died', async () => {
    const path = join(await tempDir(cleanup), 'stale.sock');
    await staleSocket(cleanup, path);
    expect((await lstat(path)).isSocket()).toBe(true);
    // Nobody listens there any more.
    await expect(connect(`unix:${path}`)).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    const server = await echoServer(path);
    expect(server.addresses).toEqual([`unix:${path}`]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await roundTrip(path)).toEqual({ via: path });
  });

  it('never steals a live socket: ADDRESS_IN_USE, and the other server keeps working', async () => {
    const path = join(await tempDir(cleanup), 'live.sock');
    const other: NetServer = createNetServer((socket) => {
      socket.on('error', () => {}); // the liveness probe hangs up at once
      socket.end('still here');
    });
    await new Promise<void>((resolve) => other.listen(path, resolve));
    cleanup.add(() => new Promise<void>((resolve) => other.close(() => resolve())));
    const err = await listenFailure(`unix:${path}`, 'listened on a live socket');
    expect(err).toBeInstanceOf(NodeError);
    expect(err).toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect((err as Error).message).toContain(path);
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      const probe = netConnect({ path });
      probe.on('data', (d: Buffer) => (text += d.toString()));
      probe.on('end', () => resolve(text));
      probe.on('error', reject);
    });
    expect(reply).toBe('still here');
  });

  it('never steals a live Gotalk server either', async () => {
    const path = join(await tempDir(cleanup), 'gotalk.sock');
    await echoServer(path);
    await expect(listen(`unix:${path}`)).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect(await roundTrip(path)).toEqual({ via: path });
  });

  it('leaves a regular file at the path alone: ADDRESS_IN_USE', async () => {
    const path = join(await tempDir(cleanup), 'precious.txt');
    await writeFile(path, 'do not delete');
    const err = await listen(`unix:${path}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect(err).toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect(await readFile(path, 'utf8')).toBe('do not delete');
  });

  it('a failed listen() removes the socket files it created', async () => {
    const dir = await tempDir(cleanup);
    const first = join(dir, 'first.sock');
    const blocked = join(dir, 'blocked.txt');
    await writeFile(blocked, 'x');
    await expect(listen([`unix:${first}`, `unix:${blocked}`])).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect(await exists(first)).toBe(false);
    expect(await readFile(blocked, 'utf8')).toBe('x');
  });

  it('two servers racing for one stale socket file: exactly one listens, the other gets ADDRESS_IN_USE', async () => {
    const dir = await tempDir(cleanup);
    const paths = Array.from({ length: 20 }, (_, i) => join(dir, `race${i}.sock`));
    await staleSocket(cleanup, ...paths);
    for (const path of paths) {
      const results = await Promise.allSettled([listen(`unix:${path}`), listen(`unix:${path}`)]);
      const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      for (const [i, server] of servers.entries()) {
        cleanup.add(() => server.close());
        server.handlers.handle('who', () => i);
      }
      const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(servers, path).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(NodeError);
      expect(errors[0]).toMatchObject({ code: 'ADDRESS_IN_USE' });
      // The file at the path is the winner's socket, not an orphan's.
      const client = await connect(`unix:${path}`);
      cleanup.add(() => client.destroy());
      expect(await client.request('who')).toBe(0);
      expect(await exists(`${path}.lock`)).toBe(false);
    }
  });

  it('takes over a stale socket even when a crashed takeover left its lock file behind', async () => {
    const path = join(await tempDir(cleanup), 'locked.sock');
    await staleSocket(cleanup, path);
    await writeFile(`${path}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, old, old);
    await echoServer(path);
    expect(await roundTrip(path)).toEqual({ via: path });
    expect(await exists(`${path}.lock`)).toBe(false);
  });

  it('close() leaves alone a socket file that another server now owns', async () => {
    const path = join(await tempDir(cleanup), 'moved.sock');
    const first = await listen(`unix:${path}`);
    cleanup.add(() => first.close());
    // Someone removes the first server's file and listens at the path themselves.
    await unlink(path);
    const second = await echoServer(path);
    await first.close();
    expect((await lstat(path)).isSocket()).toBe(true);
    expect(await roundTrip(path)).toEqual({ via: path });
    await second.close();
    expect(await exists(path)).toBe(false);
  });

  it(`a path longer than sun_path (${SUN_PATH_MAX} bytes) is BAD_ADDRESS, for listen and connect, and nothing is left listening`, async () => {
    const dir = await tempDir(cleanup);
    // Counted in UTF-8 bytes: 'é' is two.
    const long = join(dir, 'é'.repeat(Math.ceil((SUN_PATH_MAX - dir.length) / 2)) + '.sock');
    expect(long.length).toBeLessThanOrEqual(SUN_PATH_MAX);
    expect(Buffer.byteLength(long)).toBeGreaterThan(SUN_PATH_MAX);
    const err = await listenFailure(`unix:${long}`, 'listened on a path longer than sun_path');
    expect(err).toBeInstanceOf(NodeError);
    expect(err).toMatchObject({ code: 'BAD_ADDRESS' });
    expect((err as Error).message).toContain(String(SUN_PATH_MAX));
    // Nothing was bound, at the path or at a truncated one.
    expect(await readdir(dir)).toEqual([]);
    const dial = await connect(`unix:${long}`).catch((e: unknown) => e);
    expect(dial).toBeInstanceOf(NodeError);
    expect(dial).toMatchObject({ code: 'BAD_ADDRESS' });
    // A path of exactly the limit works.
    const fits = join(dir, 'f'.repeat(SUN_PATH_MAX - dir.length - 1));
    expect(Buffer.byteLength(fits)).toBe(SUN_PATH_MAX);
    await echoServer(fits);
    expect(await roundTrip(fits)).toEqual({ via: fits });
  });

  it('a path within a few bytes of the limit with a short name still listens (bound in place)', async () => {
    const base = await tempDir(cleanup);
    // No temporary name (".gotalk-" and 8 random characters) fits next to it.
    const dir = join(base, 'd'.repeat(SUN_PATH_MAX - 12 - base.length - 1));
    await mkdir(dir);
    const path = join(dir, 'tiny.sock');
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(SUN_PATH_MAX);
    await staleSocket(cleanup, path);
    const server = await listen(`unix:${path}`);
    server.handlers.handle('echo', (v) => v);
    try {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await roundTrip(path)).toEqual({ via: path });
    } finally {
      await server.close();
    }
    expect(await readdir(dir)).toEqual([]);
  });
});

/**
 * Whether the socket bound at `bound` could be connected to by other users at that moment, when
 * its mode grants more than `mode`: it is within `publicDir` and every directory between them
 * lets others (group or world) through.
 */
function exposedBeyond(bound: string, publicDir: string, mode: number): boolean {
  const extra = lstatSync(bound).mode & 0o777 & ~mode;
  if (extra === 0) return false;
  for (let d = dirname(bound); d !== publicDir; d = dirname(d)) {
    if (relative(publicDir, d).startsWith('..')) return true; // not below publicDir: count it as public
    if ((statSync(d).mode & 0o011) === 0) return false;
  }
  return true;
}

describe('Unix socket listeners facing other local users', () => {
  it('under umask 0, no socket is ever bound where others can reach it with more than the mode asked for', async () => {
    const dir = await tempDir(cleanup);
    await chmod(dir, 0o777); // a directory everyone can enter, such as /tmp
    const original = NetServerClass.prototype.listen;
    const bound: { path: string; exposed: boolean }[] = [];
    // bind() happens inside listen(), synchronously: what was bound is looked at right then,
    // before anything could chmod it.
    const spy = vi.spyOn(NetServerClass.prototype, 'listen').mockImplementation(function (this: NetServer, ...args: unknown[]) {
      const result = (original as (...a: unknown[]) => NetServer).apply(this, args);
      const path = (args[0] as ListenOptions | undefined)?.path;
      if (typeof path === 'string') bound.push({ path, exposed: exposedBeyond(path, dir, 0o600) });
      return result;
    });
    const umask = process.umask(0);
    try {
      const fresh = join(dir, 'fresh.sock');
      const stale = join(dir, 'stale.sock');
      await staleSocket(cleanup, stale);
      bound.length = 0; // the child's binds are not ours
      for (const path of [fresh, stale]) {
        const server = await echoServer(path);
        expect((await stat(path)).mode & 0o777).toBe(0o600);
        expect(await roundTrip(path)).toEqual({ via: path });
        void server;
      }
    } finally {
      process.umask(umask);
      spy.mockRestore();
    }
    expect(bound.length).toBeGreaterThanOrEqual(2);
    expect(bound.filter((b) => b.exposed)).toEqual([]);
    // Nothing is left next to the sockets: no temporary name, no private directory, no lock.
    expect((await readdir(dir)).sort()).toEqual(['fresh.sock', 'stale.sock']);
  });

  it('a planted <path>.lock dated in the future delays neither start nor close, and close leaves no socket file', async () => {
    const dir = await tempDir(cleanup);
    const future = new Date(Date.now() + 3_600_000);
    const fresh = join(dir, 'fresh.sock');
    const stale = join(dir, 'stale.sock');
    await staleSocket(cleanup, stale);
    for (const path of [fresh, stale]) {
      await writeFile(`${path}.lock`, '');
      await utimes(`${path}.lock`, future, future);
      const server = await within(listen(`unix:${path}`), 4000, `listen(${path}) with a planted lock`);
      server.handlers.handle('echo', (v) => v);
      expect(await roundTrip(path)).toEqual({ via: path });
      await within(server.close(), 4000, `close() with a planted lock`);
      expect(await exists(path)).toBe(false);
    }
  });

  it('a lock held by a live process is waited for: the takeover goes on once it is let go', async () => {
    const dir = await tempDir(cleanup);
    const path = join(dir, 'held.sock');
    await staleSocket(cleanup, path);
    const holder = createNetServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => holder.listen(`${path}.lock`, resolve));
    let listening = false;
    const started = listen(`unix:${path}`).then((server) => {
      listening = true;
      cleanup.add(() => server.close());
      return server;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(listening).toBe(false); // a takeover under someone else's lock would be done by now
    await new Promise<void>((resolve) => holder.close(() => resolve())); // unlinks the lock
    const server = await within(started, 8000, 'the takeover after the lock was let go');
    server.handlers.handle('echo', (v) => v);
    expect(await roundTrip(path)).toEqual({ via: path });
  });

  it('something at <path>.lock that cannot be removed is ADDRESS_IN_USE, soon, not a hang', async () => {
    const dir = await tempDir(cleanup);
    const path = join(dir, 'blocked.sock');
    await staleSocket(cleanup, path);
    await mkdir(`${path}.lock`);
    await writeFile(join(`${path}.lock`, 'keep'), 'x');
    const old = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, old, old);
    const err = await within(
      listen(`unix:${path}`).then(
        () => null,
        (e: unknown) => e,
      ),
      8000,
      'listen to give up',
    );
    expect(err).toBeInstanceOf(NodeError);
    expect(err).toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect((err as Error).message).toContain(`${path}.lock`);
    expect(await readFile(join(`${path}.lock`, 'keep'), 'utf8')).toBe('x');
  });

  it('a path that leaves no room for the private directory it is bound in is BAD_ADDRESS, and nothing is left', async () => {
    const base = await tempDir(cleanup);
    // The directory's path is 4 bytes short of the limit: "/s" fits, "/.gNNN/NNN" does not.
    const dir = join(base, 'd'.repeat(SUN_PATH_MAX - 4 - base.length - 1));
    await mkdir(dir);
    const path = join(dir, 's');
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(SUN_PATH_MAX);
    const err = await listenFailure(`unix:${path}`, 'listened without a private directory');
    expect(err).toBeInstanceOf(NodeError);
    expect(err).toMatchObject({ code: 'BAD_ADDRESS' });
    expect(await readdir(dir)).toEqual([]);
  });
});
