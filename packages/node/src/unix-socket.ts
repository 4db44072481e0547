import { chmod, link, lstat, unlink } from 'node:fs/promises';
import type { Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { NodeError } from './errors.ts';
import { closeServer, isLive, isSame, listenOnce, lock } from './unix-lock.ts';
import { makePrivateDir, type PrivateDir } from './unix-private-dir.ts';

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

/** A net.Server listening on a Unix socket file through {@link listenUnix}. */
export interface UnixListener {
  readonly path: string;
  /**
   * Removes the socket file if the path still holds this listener's very file (one that another
   * server has since put there is left alone), then closes the server, resolving once its
   * connections have ended as `server.close()` does. The file goes first, while the server
   * still listens: a takeover replaces only a socket that refuses connections, so nothing can
   * replace the file between the check and the unlink, and no lock is needed (nor can a lock
   * file, planted or stale, hold the close up).
   */
  close(): Promise<void>;
}

const occupied = (err: unknown): boolean => ['EEXIST', 'EADDRINUSE'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Puts a socket at `path` with `put`, which fails with `EEXIST` while something is there,
 * taking over a stale socket file (left by a process that died). The takeover (check the file,
 * probe it, unlink it, put) happens under {@link lock}: without it, two servers that both found
 * the file stale could both unlink and put, the second removing the first's fresh socket and
 * leaving it listening on nothing.
 */
async function place(path: string, put: () => Promise<void>, dir: PrivateDir): Promise<void> {
  try {
    return await put();
  } catch (err) {
    if (!occupied(err)) throw err;
  }
  const release = await lock(path, dir);
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

/**
 * Listens on the Unix socket `path` with `server`, owner-only by default (`mode`), and resolves
 * with the listener, whose `close()` removes the file. A path longer than {@link UNIX_PATH_MAX}
 * bytes is `BAD_ADDRESS`. A stale socket file (left by a process that died) is removed, but only
 * after checking that nobody is listening on it: a live socket is never stolen
 * (`ADDRESS_IN_USE`, also when two servers race for one stale file), and a file that is not a
 * socket is left alone (`ADDRESS_IN_USE`). On failure, `server` is not left listening and
 * nothing is left next to `path`.
 *
 * The socket is bound inside a fresh private directory next to `path` (mode 0700: nobody else
 * can connect, whatever mode the umask gave the socket), given its mode, hard-linked at `path`
 * (link() fails if anything is there, atomically), and the directory removed. So the socket is
 * never reachable with another mode, and libuv, which unlinks the bound name when the server
 * closes, never touches `path`. A directory path over {@link UNIX_PATH_MAX} -
 * {@link PRIVATE_DIR_OVERHEAD} bytes leaves no room for the private directory: `BAD_ADDRESS`.
 * Windows named pipes are not files: bound in place, and gone with their server.
 */
export async function listenUnix(server: NetServer, path: string, mode: number): Promise<UnixListener> {
  checkUnixPath(path);
  if (process.platform === 'win32') {
    await listenOnce(server, path).catch((err: unknown) => {
      throw occupied(err) ? new NodeError('ADDRESS_IN_USE', `${path} is already in use`, { cause: err }) : err;
    });
    return { path, close: () => closeServer(server) };
  }
  const dir = await makePrivateDir(path, UNIX_PATH_MAX);
  let file: { dev: number; ino: number };
  try {
    const bound = join(dir.path, dir.socket);
    await listenOnce(server, bound);
    await chmod(bound, mode);
    file = await lstat(bound);
    await place(path, () => link(bound, path), dir);
  } catch (err) {
    if (server.listening) await closeServer(server);
    throw err;
  } finally {
    await dir.remove();
  }
  return {
    path,
    close: async () => {
      if (isSame(await lstat(path).catch(() => null), file)) await unlink(path).catch(() => {});
      await closeServer(server);
    },
  };
}
