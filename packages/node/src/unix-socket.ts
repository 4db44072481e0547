import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, open, unlink } from 'node:fs/promises';
import { connect, type Server as NetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NodeError } from './errors.ts';

/**
 * The most bytes a Unix socket path may have: `sun_path` less its terminating NUL (108 - 1 on
 * Linux, 104 - 1 on macOS and the BSDs). A longer path would be silently truncated by bind().
 */
export const UNIX_PATH_MAX = process.platform === 'linux' ? 107 : 103;

/**
 * Throws `BAD_ADDRESS` if `path` does not fit in `sun_path` ({@link UNIX_PATH_MAX} bytes of
 * UTF-8). Windows named pipes (`\\.\pipe\…`) are not bound through `sun_path`: not checked there.
 */
export function checkUnixPath(path: string): void {
  if (process.platform === 'win32') return;
  const bytes = Buffer.byteLength(path);
  if (bytes > UNIX_PATH_MAX) {
    throw new NodeError('BAD_ADDRESS', `the Unix socket path ${path} is ${bytes} bytes long, more than the ${UNIX_PATH_MAX} a socket address holds here`);
  }
}

/** The file a Unix socket listener bound: removed on close only if it is still this one. */
export interface SocketFile {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
}

const isSame = (a: { dev: number; ino: number } | null, b: { dev: number; ino: number } | null): boolean =>
  a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;

/**
 * Resolves true unless the Unix socket `path` refuses connections or is gone. Any other failure
 * (a full backlog, say) leaves the socket's owner in doubt, and counts as live.
 */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
}

function listenOnce(server: NetServer, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ path }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** A takeover holds the lock for milliseconds; a lock file this old was left by a process that died in it. */
const LOCK_STALE_MS = 5_000;
const LOCK_POLL_MS = 20;

/**
 * Takes the lock that serialises changes to the socket file at `path` (taking over a stale file,
 * removing it on close) and resolves with the function that releases it. The lock is the file
 * `path.lock`, created with O_EXCL (atomic: one creator wins), waited for while another process
 * holds it. A process that dies holding it leaves the file behind, so a lock file older than
 * {@link LOCK_STALE_MS} is broken. Two waiters breaking the same stale lock at the same instant
 * could still both get in; that takes a crash inside a takeover first, and a race within
 * microseconds after. Gives up (`ADDRESS_IN_USE`) after waiting twice as long, e.g. for a lock
 * file dated in the future.
 */
async function lock(path: string): Promise<() => Promise<void>> {
  const file = `${path}.lock`;
  const giveUp = Date.now() + 2 * LOCK_STALE_MS;
  for (;;) {
    let created;
    try {
      created = await open(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (created) {
      const { dev, ino } = await created.stat().finally(() => created.close());
      // Removes the lock only if it is still ours (not broken as stale and taken by another).
      return async () => {
        if (isSame(await lstat(file).catch(() => null), { dev, ino })) await unlink(file).catch(() => {});
      };
    }
    const held = await lstat(file).catch(() => null);
    if (held && Date.now() - held.mtimeMs > LOCK_STALE_MS) {
      await unlink(file).catch(() => {});
    } else if (held) {
      if (Date.now() > giveUp) throw new NodeError('ADDRESS_IN_USE', `${file} has been held for over ${2 * LOCK_STALE_MS} ms`);
      await sleep(LOCK_POLL_MS);
    }
  }
}

const occupied = (err: unknown): boolean => ['EEXIST', 'EADDRINUSE'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Puts a socket at `path` with `put`, which fails with `EEXIST` or `EADDRINUSE` while something
 * is there, taking over a stale socket file (left by a process that died). The takeover (check
 * the file, probe it, unlink it, put) happens under {@link lock}: without it, two servers that
 * both found the file stale could both unlink and put, the second removing the first's fresh
 * socket and leaving it listening on nothing.
 */
async function place(path: string, put: () => Promise<void>): Promise<void> {
  try {
    return await put();
  } catch (err) {
    if (!occupied(err)) throw err;
  }
  const release = await lock(path);
  try {
    try {
      // Whoever held the lock before may have taken the path (or given up and freed it).
      return await put();
    } catch (err) {
      if (!occupied(err)) throw err;
      const stat = await lstat(path).catch(() => null);
      if (stat && !stat.isSocket()) throw new NodeError('ADDRESS_IN_USE', `${path} exists and is not a socket`, { cause: err });
      if (await isLive(path)) throw new NodeError('ADDRESS_IN_USE', `a live server is already listening on ${path}`, { cause: err });
      // Unlink the stale file probed, not whatever a process that ignores the lock put there since.
      if (stat && isSame(await lstat(path).catch(() => null), stat)) await unlink(path).catch(() => {});
    }
    await put().catch((err: unknown) => {
      throw occupied(err) ? new NodeError('ADDRESS_IN_USE', `${path} is already in use`, { cause: err }) : err;
    });
  } finally {
    await release();
  }
}

/** A fresh name next to `path` (same directory, so same file system) that fits in `sun_path`; null if none does (or on Windows: named pipes). */
function tempPath(path: string): string | null {
  if (process.platform === 'win32') return null;
  const temp = join(dirname(path), `.gotalk-${randomBytes(6).toString('base64url')}`);
  return Buffer.byteLength(temp) <= UNIX_PATH_MAX ? temp : null;
}

/**
 * Listens on the Unix socket `path`, owner-only by default (`mode`), and resolves with the socket
 * file it created. A path longer than {@link UNIX_PATH_MAX} bytes is `BAD_ADDRESS`. A stale socket
 * file (left by a process that died) is removed, but only after checking that nobody is listening
 * on it: a live socket is never stolen (`ADDRESS_IN_USE`, also when two servers race for one
 * stale file), and a file that is not a socket is left alone (`ADDRESS_IN_USE`). On failure,
 * `server` is not left listening.
 *
 * The socket is bound at a temporary name, given its mode, hard-linked at `path` (link() fails if
 * anything is there, atomically) and the temporary name removed. Besides never showing the socket
 * with the wrong mode, this keeps `path` from libuv, which unlinks the bound name when the server
 * closes, whatever file is there by then. Only when no temporary name fits in `sun_path` (a path
 * within a few bytes of the limit with a short file name) is the socket bound at `path` itself.
 */
export async function listenUnix(server: NetServer, path: string, mode: number): Promise<SocketFile> {
  checkUnixPath(path);
  const temp = tempPath(path);
  try {
    if (temp === null) {
      await place(path, () => listenOnce(server, path));
      await chmod(path, mode);
      const { dev, ino } = await lstat(path);
      return { path, dev, ino };
    }
    await listenOnce(server, temp);
    try {
      await chmod(temp, mode);
      const { dev, ino } = await lstat(temp);
      await place(path, () => link(temp, path));
      return { path, dev, ino };
    } finally {
      await unlink(temp).catch(() => {});
    }
  } catch (err) {
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
}

/**
 * Removes the socket file `file` of a closed listener, if the path still holds that very file:
 * one that another server has since put there is left alone.
 */
export async function removeSocketFile(file: SocketFile): Promise<void> {
  const path = file.path;
  // Under the lock, so that no takeover replaces the file between the check and the unlink.
  const release = await lock(path).catch(() => null);
  if (!release) return;
  try {
    const stat = await lstat(path).catch(() => null);
    if (isSame(stat, file)) await unlink(path).catch(() => {});
  } finally {
    await release();
  }
}
