// The kit's own contracts: what the other packages' tests rely on it for.
import { readFileSync } from 'node:fs';
import { createServer, connect as netConnect, type AddressInfo, type Server } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Cleanup, errorOf, waitFor, within } from '@gotalk/test-kit';
import { freePort, startGroup } from '@gotalk/test-kit/node';

/** The first port Linux hands to listeners on port 0 (32768 unless configured otherwise). */
function firstEphemeralPort(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 32768;
  }
}

describe('Cleanup', () => {
  it('runs every task, last first, even after one fails, then rethrows what failed', async () => {
    const cleanup = new Cleanup();
    const ran: number[] = [];
    cleanup.add(() => ran.push(1));
    cleanup.add(() => {
      ran.push(2);
      throw new Error('two');
    });
    cleanup.add(async () => void ran.push(3));
    expect((await errorOf(cleanup.run())).message).toBe('two');
    expect(ran).toEqual([3, 2, 1]);
    cleanup.add(() => Promise.reject(new Error('a')));
    cleanup.add(() => {
      throw new Error('b');
    });
    const both = await errorOf(cleanup.run());
    expect(both).toBeInstanceOf(AggregateError);
    expect((both as unknown as AggregateError).errors.map((e: Error) => e.message)).toEqual(['b', 'a']);
    await cleanup.run(); // emptied: nothing runs twice
  });
});

describe('waiting', () => {
  it('waitFor names what it waited for when it gives up; within too', async () => {
    expect((await errorOf(waitFor(() => false, 'the impossible', 20))).message).toBe('timed out after 20 ms waiting for the impossible');
    expect((await errorOf(within(new Promise(() => {}), 20, 'never'))).message).toBe('never did not settle within 20 ms');
    let n = 0;
    await waitFor(() => ++n === 3);
    expect(n).toBe(3);
  });

  it('errorOf fails when the promise resolves, destroying what it resolved with', async () => {
    let destroyed = false;
    const err = await errorOf(errorOf(Promise.resolve({ destroy: () => (destroyed = true) })));
    expect(err.message).toBe('expected the promise to reject, but it resolved');
    expect(destroyed).toBe(true);
  });
});

describe('freePort', () => {
  it('is below the ephemeral range, so no port-0 listener is given it; and nobody listens there', async () => {
    const port = await freePort();
    expect(port).toBeLessThan(firstEphemeralPort());
    // Many listeners on port 0 (as other tests open them), none on it.
    const servers: Server[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const s = createServer();
        await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
        servers.push(s);
        expect((s.address() as AddressInfo).port).not.toBe(port);
      }
      const refused = await new Promise<string>((resolve) => {
        const socket = netConnect(port, '127.0.0.1', () => resolve('connected'));
        socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    } finally {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });
});

describe('startGroup', () => {
  it.runIf(process.platform === 'linux')('ends the whole group, the children of the child included', async () => {
    // A shell (the leader) that starts a sleeper of its own and prints its pid: like tsx and the program it runs.
    const group = startGroup('sh', ['-c', 'sleep 1000 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    onTestFinished(() => {
      try {
        process.kill(-group.pid, 'SIGKILL'); // whatever a failure left behind
      } catch {
        // all gone
      }
    });
    const grandchild = await new Promise<number>((resolve) => group.child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    // Running, not a zombie (an orphan waits as one until init reaps it).
    const alive = (pid: number) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
      } catch {
        return false;
      }
    };
    expect(alive(grandchild)).toBe(true);
    const t0 = Date.now();
    await group.stop(2000);
    expect(Date.now() - t0).toBeLessThan(2000); // SIGTERM was enough: no SIGKILL after the grace
    expect(group.alive()).toBe(false);
    expect(alive(group.pid)).toBe(false);
    expect(alive(grandchild)).toBe(false);
    await group.stop(); // idempotent
  });
});
