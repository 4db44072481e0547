// The private directory a Unix socket is bound in before it is linked into place.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NodeError } from './errors.ts';

const random = (n: number): string => randomBytes(n).toString('base64url').slice(0, n);

/** A file system error of listening on `path`, saying so, with the errno `code` kept (the CLI's exit code depends on it). */
export function listenFailed(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  return Object.assign(new Error(`cannot listen on ${path}: ${e.message}`, { cause: err }), { code: e.code });
}

/**
 * A fresh directory next to a socket path that only its owner can enter (mode 0700): a socket
 * bound in it cannot be connected to by anyone else, whatever mode the umask gave it.
 */
export interface PrivateDir {
  readonly path: string;
  /**
   * The name to bind the socket at. libuv unlinks the name a server was bound to when it
   * closes, long after this directory is gone, and /proc/net/unix shows that name to everyone:
   * a name nobody could know in advance gives someone who re-creates the directory as a
   * symbolic link nothing to aim that unlink at.
   */
  readonly socket: string;
  /** Removes everything in the directory (only its owner could put anything there), then the directory. */
  remove(): Promise<void>;
}

/** Name shapes of the directory and the socket in it, longest first: `.gotalk-<8>/<8>`, then shorter ones for paths near the limit. */
const LAYOUTS: readonly (readonly [prefix: string, random: number])[] = [
  ['.gotalk-', 8],
  ['.g', 6],
  ['.g', 4],
  ['.g', 3],
];

/** How many more bytes than its directory's path the shortest layout takes (`/.gNNN/NNN`). */
export const PRIVATE_DIR_OVERHEAD = 10;

/**
 * Makes the private directory for binding the socket `path`, whose bound name must fit in
 * `maxPath` bytes. `BAD_ADDRESS` when no layout fits: a directory path over `maxPath` -
 * {@link PRIVATE_DIR_OVERHEAD} bytes.
 */
export async function makePrivateDir(path: string, maxPath: number): Promise<PrivateDir> {
  const parent = dirname(path);
  const layout = LAYOUTS.find(([prefix, n]) => Buffer.byteLength(join(parent, prefix + 'x'.repeat(n), 'x'.repeat(n))) <= maxPath);
  if (!layout) {
    throw new NodeError(
      'BAD_ADDRESS',
      `the Unix socket ${path} is first bound in a private directory next to it, and ${parent} leaves no room for one within the ${maxPath} bytes a socket address holds: use a directory whose path is at most ${maxPath - PRIVATE_DIR_OVERHEAD} bytes long`,
    );
  }
  const [prefix, n] = layout;
  for (let attempt = 1; ; attempt++) {
    const dir = join(parent, prefix + random(n));
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 10) continue;
      throw listenFailed(path, err);
    }
    const remove = async () => {
      for (const name of await readdir(dir).catch(() => [])) await unlink(join(dir, name)).catch(() => {});
      await rmdir(dir).catch(() => {});
    };
    // The umask may have taken the owner's own bits; it cannot have added any for others.
    await chmod(dir, 0o700).catch(async (err: unknown) => {
      await remove();
      throw listenFailed(path, err);
    });
    return { path: dir, socket: random(n), remove };
  }
}
