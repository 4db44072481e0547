import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect, type Server as NetServer } from 'node:net';
import { NodeError } from './errors.ts';

/** Resolves true when something accepts connections at the Unix socket `path`. */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
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

/**
 * Listens on the Unix socket `path`, owner-only by default (`mode`). A stale socket file (left
 * by a process that died) is removed, but only after checking that nobody is listening on it:
 * a live socket is never stolen (`ADDRESS_IN_USE`), and a file that is not a socket is left alone.
 */
export async function listenUnix(server: NetServer, path: string, mode: number): Promise<void> {
  try {
    await listenOnce(server, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const stat = await lstat(path).catch(() => null);
    if (stat && !stat.isSocket()) throw new NodeError('ADDRESS_IN_USE', `${path} exists and is not a socket`, { cause: err });
    if (await isLive(path)) throw new NodeError('ADDRESS_IN_USE', `a live server is already listening on ${path}`, { cause: err });
    await unlink(path).catch(() => {});
    await listenOnce(server, path);
  }
  await chmod(path, mode);
}

/** Removes the socket file at `path` if it is still there. */
export async function removeSocketFile(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => null);
  if (stat?.isSocket()) await unlink(path).catch(() => {});
}
