// The lock that serialises takeovers of a stale Unix socket file, and the socket probes it is
// made of. A lock that is a listening socket cannot be faked by a file, whatever its date.
import { chmod, link, lstat, symlink, unlink } from 'node:fs/promises';
import { connect, createServer, type Server as NetServer } from 'node:net';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NodeError } from './errors.ts';
import type { PrivateDir } from './unix-private-dir.ts';

/** True when `a` and `b` are the same file (device and inode). */
export const isSame = (a: { dev: number; ino: number } | null, b: { dev: number; ino: number } | null): boolean =>
  a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;

/**
 * Resolves true unless the Unix socket `path` refuses connections or is gone. Any other failure
 * (a full backlog, say) leaves the socket's owner in doubt, and counts as live.
 */
export function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
}

/** Listens on the Unix socket `path`; rejects with the listen error. */
export function listenOnce(server: NetServer, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ path }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Closes `server`; resolves once it is closed (at once when it was not listening). */
export function closeServer(server: NetServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** How long a takeover waits for a lock someone else holds (a takeover holds it for milliseconds). */
const LOCK_WAIT_MS = 5_000;
const LOCK_POLL_MS = 20;

/** Names in the private directory: the lock's socket and the link its liveness is probed through (shorter than any socket name there). */
const LOCK_NAME = 'l';
const PROBE_NAME = 'p';

/**
 * Takes the lock that serialises takeovers of the socket file at `path` and resolves with the
 * function that releases it. The lock is a listening socket, bound in `dir` and hard-linked at
 * `<path>.lock` (link() fails if anything is there, atomically: one taker wins), and it is held
 * for as long as it accepts connections. Whatever is there and does not (the socket of a process
 * that died in a takeover, a file planted with any date) is stale and removed at once; no date
 * is trusted. A live holder is waited for, up to {@link LOCK_WAIT_MS}, then `ADDRESS_IN_USE`; so
 * is something there that cannot be removed. Two takers breaking the same stale lock at the same
 * instant could still both get in; that takes a crash inside a takeover first, and a race within
 * microseconds after.
 */
export async function lock(path: string, dir: PrivateDir): Promise<() => Promise<void>> {
  const file = `${path}.lock`;
  const holder = createServer((socket) => socket.destroy());
  holder.on('error', () => {}); // an accept that fails (EMFILE) must not end the process
  const bound = join(dir.path, LOCK_NAME);
  // connect() takes a path that fits in sun_path, and <path>.lock may not: probe it through a link.
  const probe = join(dir.path, PROBE_NAME);
  const letGo = async () => {
    await closeServer(holder);
    await unlink(probe).catch(() => {});
  };
  try {
    await listenOnce(holder, bound);
    await chmod(bound, 0o666); // any competitor for the path can see that it is live
    const ours = await lstat(bound);
    await symlink(`../${basename(file)}`, probe);
    const giveUp = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await link(bound, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      if (Date.now() > giveUp) throw new NodeError('ADDRESS_IN_USE', `${file} has been held for over ${LOCK_WAIT_MS} ms`);
      const held = await lstat(file).catch(() => null);
      if (!held) continue;
      if (held.isSocket() && (await isLive(probe))) {
        await sleep(LOCK_POLL_MS);
        continue;
      }
      // Stale: remove what was looked at, not whatever another taker put there since.
      if (!isSame(await lstat(file).catch(() => null), held)) continue;
      await unlink(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT')
          throw new NodeError('ADDRESS_IN_USE', `${file} is in the way of the lock and cannot be removed (${err.code})`, { cause: err });
      });
    }
    return async () => {
      // Unlinked while it still listens, so that nobody can take it for stale in between.
      if (isSame(await lstat(file).catch(() => null), ours)) await unlink(file).catch(() => {});
      await letGo();
    };
  } catch (err) {
    await letGo();
    throw err;
  }
}
