// Two servers taking over one stale Unix socket file at once, with the interleaving that a
// takeover without its lock gets wrong forced rather than hoped for: both have found the file
// stale and are about to unlink it; the first unlinks and links its own socket in place; only
// then does the second unlink (removing the first's fresh socket) and link its own. Without the
// lock both would listen, the first on a file nobody can reach; with it, the second waits for
// the lock, finds the first's socket live, and gets ADDRESS_IN_USE. (unix.test.ts races them
// with whatever timing the machine gives.)
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { connect, listen, NodeError } from '@gotalk/node';
import { Cleanup } from '@gotalk/test-kit';
import { tempDir } from '@gotalk/test-kit/node';
import { staleSocket } from './support.ts';

/** The schedule: unlink() of a watched path is held until the other racer is where the race needs it. */
const race = vi.hoisted(() => {
  interface Round {
    unlinks: number;
    /** Wakes the first unlink: the second racer is about to unlink too, or waits for the lock (so it never will). */
    wakeFirst: (() => void) | null;
    /** Wakes the second unlink: the first racer's socket is linked at the path. */
    wakeSecond: (() => void) | null;
    firstUnlinked: boolean;
    firstLinked: boolean;
  }
  const rounds = new Map<string, Round>();
  /** Holds until woken, or for `ms` (real ms) at most: then the schedule goes on regardless. */
  const hold = (ms: number, set: (wake: () => void) => void) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      set(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  return {
    rounds,
    watch(path: string): Round {
      const round: Round = { unlinks: 0, wakeFirst: null, wakeSecond: null, firstUnlinked: false, firstLinked: false };
      rounds.set(path, round);
      return round;
    },
    hold,
  };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const HOLD = 3000; // ms a held unlink waits for the other racer at most
  const unlink: typeof real.unlink = async (path) => {
    const round = race.rounds.get(String(path));
    if (round) {
      const n = ++round.unlinks;
      if (n === 1) {
        await race.hold(HOLD, (wake) => (round.wakeFirst = wake));
        await real.unlink(path).finally(() => (round.firstUnlinked = true));
        return;
      }
      if (n === 2) {
        round.wakeFirst?.();
        if (!round.firstLinked) await race.hold(HOLD, (wake) => (round.wakeSecond = wake));
      }
    }
    return real.unlink(path);
  };
  const link: typeof real.link = async (existing, path) => {
    try {
      return await real.link(existing, path);
    } finally {
      const round = race.rounds.get(String(path));
      if (round?.firstUnlinked && !round.firstLinked) {
        round.firstLinked = true;
        round.wakeSecond?.();
      }
    }
  };
  const lstatHooked = ((path: Parameters<typeof real.lstat>[0], ...rest: unknown[]) => {
    const p = String(path);
    // A look at <path>.lock while the first unlink is held: the other racer is waiting for the lock.
    if (p.endsWith('.lock')) race.rounds.get(p.slice(0, -'.lock'.length))?.wakeFirst?.();
    return (real.lstat as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof real.lstat;
  const fs = { ...real, unlink, link, lstat: lstatHooked };
  return { ...fs, default: fs };
});

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

it('two servers taking over one stale socket file, interleaved at the worst point: exactly one listens, the other gets ADDRESS_IN_USE', async () => {
  const dir = await tempDir(cleanup);
  const paths = Array.from({ length: 4 }, (_, i) => join(dir, `forced${i}.sock`));
  await staleSocket(cleanup, ...paths);
  for (const path of paths) {
    const round = race.watch(path);
    const results = await Promise.allSettled([listen(`unix:${path}`), listen(`unix:${path}`)]);
    const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const [i, server] of servers.entries()) {
      cleanup.add(() => server.close());
      server.handlers.handle('who', () => i);
    }
    expect(round.unlinks).toBeGreaterThanOrEqual(1); // the stale file was replaced under the schedule
    expect(servers, path).toHaveLength(1);
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(errors[0]).toBeInstanceOf(NodeError);
    expect(errors[0]).toMatchObject({ code: 'ADDRESS_IN_USE' });
    // The file at the path is the winner's socket, reachable.
    expect((await lstat(path)).isSocket()).toBe(true);
    const client = await connect(`unix:${path}`);
    cleanup.add(() => client.destroy());
    expect(await client.request('who')).toBe(0);
    race.rounds.delete(path);
  }
});
