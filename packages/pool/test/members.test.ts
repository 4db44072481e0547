// Members: added and removed at any time, leaving by themselves when they close, fed by a source
// of connections, started (and started again after a crash) by the pool itself.
import { EventEmitter } from 'node:events';
import { describe, expect, test } from 'vitest';
import { connectedPeers, type Connection, type Peer } from '@gotalk/peer';
import type { PoolEvents } from '@gotalk/pool';
import { waitFor } from '@gotalk/test-kit';
import { addWorker, errorOf, Gate, record, startsOf, usePools } from './support.ts';

const { workers, peers, pool } = usePools();

/** A factory of in-memory workers serving `echo` and `whoami`; counts the workers it made. */
function factory() {
  const made: Peer[] = [];
  const start = async (): Promise<Connection> => {
    const [coordinator, worker] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
    const n = made.push(worker);
    peers.push(worker);
    worker.handlers.handle('echo', (v) => v).handle('whoami', () => n);
    return coordinator;
  };
  return { start, made };
}

describe('joining and leaving', () => {
  test('a member whose connection closes leaves by itself, and jobs go to the others', async () => {
    const p = pool();
    const a = await addWorker(p, 'a');
    const b = await addWorker(p, 'b');
    workers.push(a, b);
    const events = record(p, 'leave');
    a.worker.destroy();
    await waitFor(() => events.length === 1, 'the leave event', 5000);
    const left = events[0]!.value as PoolEvents['leave'];
    expect(left.member.name).toBe('a');
    expect(left.info).not.toBeNull();
    expect(p.members.map((m) => m.name)).toEqual(['b']);
    for (let i = 0; i < 3; i++) await p.request('echo', i);
    expect(startsOf(b, 'echo')).toBe(3);
  });

  test('remove() takes no new jobs at once and resolves when its running jobs are done; the connection stays', async () => {
    const p = pool();
    const gate = new Gate();
    const a = await addWorker(p, 'a', gate);
    workers.push(a);
    const running = p.request('hold', 'last');
    await waitFor(() => a.running === 1);
    let removed = false;
    const removal = p.remove(a.member).then(() => (removed = true));
    expect(a.member.state).toBe('leaving');
    const waiting = p.request('echo', 'queued');
    expect(p.counts()).toMatchObject({ queued: 1, running: 1 }); // a member with room would have taken it at once
    expect(removed).toBe(false);
    gate.open();
    expect(await running).toBe('last');
    await removal;
    expect(a.member.state).toBe('gone');
    expect(a.coordinator.open).toBe(true);
    const b = await addWorker(p, 'b');
    workers.push(b);
    expect(await waiting).toBe('queued');
    expect(startsOf(b, 'echo')).toBe(1);
  });

  test('names are unique among members present; the same connection twice is one member', async () => {
    const p = pool();
    const [c1, w1] = connectedPeers();
    const [c2, w2] = connectedPeers();
    peers.push(w1, w2, c1, c2);
    const m1 = p.add(c1, { name: 'w' });
    const m2 = p.add(c2, { name: 'w' });
    expect([m1.name, m2.name]).toEqual(['w', 'w#2']);
    expect(p.add(c1)).toBe(m1);
    expect(() => p.add(c1, { concurrency: 0 })).not.toThrow(); // already a member: its options are not read again
    const [c3, w3] = connectedPeers();
    peers.push(c3, w3);
    expect(() => p.add(c3, { concurrency: 0 })).toThrow(RangeError);
  });

  test('a member in its handshake is not chosen; it takes jobs once its version has come', async () => {
    const p = pool();
    const [coordinator, worker] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
    peers.push(coordinator, worker);
    worker.handlers.handle('echo', (v) => v);
    const m = p.add(coordinator);
    expect(m.state).toBe('joining');
    const job = p.request('echo', 1);
    expect(p.counts().queued).toBe(1);
    expect(await job).toBe(1);
    expect(m.state).toBe('open');
  });
});

describe('fed by a source of connections', () => {
  test("every connection the source announces becomes a member, named and capped by the feed's options", async () => {
    const p = pool();
    const server = new EventEmitter<{ connection: [Connection] }>();
    const stop = p.feed(server, { name: (c) => String(c.data), concurrency: (c) => (c.data === 'big' ? 16 : undefined) });
    for (const name of ['big', 'small']) {
      const [coordinator, worker] = connectedPeers({ heartbeatInterval: 0, data: name }, { heartbeatInterval: 0 });
      peers.push(coordinator, worker);
      worker.handlers.handle('echo', (v) => v);
      server.emit('connection', coordinator);
    }
    expect(p.members.map((m) => [m.name, m.concurrency])).toEqual([
      ['big', 16],
      ['small', 8],
    ]);
    stop();
    expect(server.listenerCount('connection')).toBe(0);
    const [late] = connectedPeers();
    peers.push(late);
    server.emit('connection', late);
    expect(p.members).toHaveLength(2);
  });
});

describe('workers the pool starts', () => {
  test('a worker that crashes is started again with backoff, under the same name', async () => {
    const p = pool();
    const f = factory();
    const restarts = record(p, 'restart', 'join');
    const m = await p.start(f.start, { name: 'thread', restart: { minDelay: 5, maxDelay: 20 } });
    expect(m.name).toBe('thread');
    expect(await p.request('whoami')).toBe(1);
    f.made[0]!.destroy();
    await waitFor(() => p.members.length === 1 && p.members[0] !== m && p.members[0]!.state === 'open', 'the restarted member', 5000);
    expect(p.members[0]!.name).toBe('thread');
    expect(await p.request('whoami')).toBe(2);
    const restart = restarts.find((e) => e.kind === 'restart')!.value as PoolEvents['restart'];
    expect(restart).toMatchObject({ name: 'thread', attempt: 1 });
    expect(restart.delay).toBeGreaterThanOrEqual(5);
    expect(restart.delay).toBeLessThanOrEqual(20);
  });

  test('a start that fails is tried again with backoff; `restart: false` lets a crashed worker go', async () => {
    const p = pool();
    const f = factory();
    let failNext = 0;
    const flaky = () => (failNext-- > 0 ? Promise.reject(new Error('no luck')) : f.start());
    const restarts = record(p, 'restart');
    await p.start(flaky, { name: 'flaky', restart: { minDelay: 1, maxDelay: 5 } });
    failNext = 2;
    f.made[0]!.destroy();
    await waitFor(() => f.made.length === 2, 'a third try to succeed', 5000);
    const attempts = restarts.map((e) => (e.value as PoolEvents['restart']).attempt);
    expect(attempts).toEqual([1, 2, 3]);
    expect((restarts[1]!.value as PoolEvents['restart']).error?.message).toBe('no luck');

    const once = await p.start(f.start, { name: 'once', restart: false });
    const before = restarts.length;
    f.made.at(-1)!.destroy();
    await waitFor(() => once.state === 'gone');
    expect(restarts.length).toBe(before); // a restart is announced when the member leaves, before its delay
  });

  test('the first start failing rejects, and nothing is tried again', async () => {
    const p = pool();
    const restarts = record(p, 'restart');
    let calls = 0;
    const err = await errorOf(
      p.start(async () => {
        calls++;
        throw new Error('bad module path');
      }),
    );
    expect(err.message).toBe('bad module path');
    expect(calls).toBe(1);
    expect(restarts).toEqual([]);
    expect(p.members).toEqual([]);
  });

  test('a start still under way when the pool closes is closed as it completes, and rejects with CLOSED', async () => {
    const p = pool();
    const f = factory();
    let release!: () => void;
    const slow = () => new Promise<void>((resolve) => (release = resolve)).then(f.start);
    const starting = errorOf(p.start(slow, { name: 'late' }));
    await waitFor(() => release !== undefined, 'the factory to be called');
    await p.close();
    release();
    const err = await starting;
    expect(err.code).toBe('CLOSED');
    expect(err.worker).toBe('late');
    await waitFor(() => !f.made[0]!.open, 'the late worker to be closed');
    expect(p.members).toEqual([]);
  });

  test('removing a started member closes it and does not start it again', async () => {
    const p = pool();
    const f = factory();
    const restarts = record(p, 'restart');
    const m = await p.start(f.start, { restart: { minDelay: 1, maxDelay: 2 } });
    await p.remove(m);
    await waitFor(() => !f.made[0]!.open, 'the worker to be closed');
    expect(restarts).toEqual([]);
    expect(f.made).toHaveLength(1);
    expect(p.members).toEqual([]);
  });
});

describe('the calling surface across members', () => {
  test('setLoad reaches every member, present and future; onActivity sees every member', async () => {
    const p = pool();
    const a = await addWorker(p, 'a', new Gate(), { coordinator: { heartbeatInterval: 60_000 } });
    workers.push(a);
    const events: string[] = [];
    const off = p.onActivity((e) => {
      if (e.type === 'request' && e.dir === 'out') events.push(e.op);
    });
    p.setLoad(1234);
    const b = await addWorker(p, 'b', new Gate(), { coordinator: { heartbeatInterval: 60_000 } });
    workers.push(b);
    await waitFor(() => b.worker.remoteHeartbeat?.load === 1234, "b to hear the pool's load", 5000);
    await p.request('echo', 1);
    await p.gather('echo', 2);
    expect(events).toEqual(['echo', 'echo', 'echo']);
    off();
    await p.request('echo', 3);
    expect(events).toHaveLength(3);
    expect(() => p.setLoad(70_000)).toThrow(RangeError);
  });
});
