// Groups of a pool's members: joined with the member's options or pool.join, left when the member
// leaves; to(group) notifies and gathers only them (a lost worker's entry is WORKER_LOST naming it),
// and a worker the pool starts again joins its groups again.
import { expect, test } from 'vitest';
import { connectedPeers, RemoteError, type Peer } from '@gotalk/peer';
import { thrownBy, waitFor } from '@gotalk/test-kit';
import { addWorker, Gate, type TestWorker, usePools } from './support.ts';

const { workers, peers, pool } = usePools();

test('members join groups (options or pool.join) and leave them when they leave the pool; to() reaches a group only', async () => {
  const p = pool();
  const gpu = await addWorker(p, 'gpu-1', new Gate(), { groups: ['gpu'] });
  const cpu = await addWorker(p, 'cpu-1');
  const both = await addWorker(p, 'gpu-2', new Gate(), { groups: ['gpu', 'big'] });
  workers.push(gpu, cpu, both);
  p.join(cpu.member, 'cpu');
  const heard: string[] = [];
  for (const w of [gpu, cpu, both]) w.worker.handlers.onNotification('reload', (v) => void heard.push(`${w.name}:${String(v)}`));
  expect(p.to('gpu').notify('reload', 'models')).toEqual({ sent: 2, behind: [] });
  expect(p.everyone().except('gpu').notify('reload', 'cpu only').sent).toBe(1);
  await waitFor(() => heard.length === 3, 'the notifications');
  expect(heard.sort()).toEqual(['cpu-1:cpu only', 'gpu-1:models', 'gpu-2:models']);
  expect(p.groups.of(both.member)).toEqual(['gpu', 'big']);
  await p.remove(both.member);
  expect(p.groups.members('gpu').map((m) => m.name)).toEqual(['gpu-1']);
  expect(p.groups.names().sort()).toEqual(['cpu', 'gpu']);
  gpu.worker.destroy();
  await waitFor(() => p.groups.size('gpu') === 0, 'the lost worker out of its group');
  expect(p.groups.names()).toEqual(['cpu']);
  expect(thrownBy(() => p.join(gpu.member, 'gpu')).message).toMatch(/not a member/);
  expect(thrownBy(() => p.join(cpu.member, '')).code).toBe('INVALID_GROUP');
});

test("a group's gather keeps each member's answer apart: one answers, one fails with its code, one is lost (WORKER_LOST), one is too slow (TIMEOUT)", async () => {
  const p = pool();
  const names = ['ok', 'failing', 'lost', 'slow', 'outside'];
  const ws = await Promise.all(names.map((n) => addWorker(p, n, new Gate(), n === 'outside' ? {} : { groups: ['g'] })));
  workers.push(...ws);
  const [ok, failing, lost, slow, outside] = ws as [TestWorker, TestWorker, TestWorker, TestWorker, TestWorker];
  ok.worker.handlers.handle('status', () => 'fine');
  failing.worker.handlers.handle('status', () => {
    throw new RemoteError('no GPU', { code: 'NO_DEVICE' });
  });
  lost.worker.handlers.handle('status', () => {
    setTimeout(() => lost.worker.destroy(), 10);
    return new Promise(() => {});
  });
  slow.worker.handlers.handle('status', (_v, ctx) => new Gate().pass(ctx.signal));
  outside.worker.handlers.handle('status', () => 'not asked');
  const entries = await p.to('g').gather('status', null, { timeout: 300 });
  expect(entries.map((e) => e.member.name)).toEqual(['ok', 'failing', 'lost', 'slow']);
  expect(entries.map((e) => (e.ok ? e.value : (e.error as RemoteError).code))).toEqual(['fine', 'NO_DEVICE', 'WORKER_LOST', 'TIMEOUT']);
});

test('a worker the pool starts again joins the groups it was started with', async () => {
  const p = pool();
  const started: Peer[] = [];
  const factory = async () => {
    const [coordinator, worker] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
    worker.handlers.handle('who', () => started.length);
    started.push(worker);
    peers.push(worker);
    return coordinator;
  };
  await p.start(factory, { name: 'w', groups: ['render'], restart: { minDelay: 1, maxDelay: 5 } });
  expect((await p.to('render').gather('who')).map((e) => e.ok && e.value)).toEqual([1]);
  started[0]!.destroy();
  await waitFor(() => started.length === 2 && p.groups.size('render') === 1 && p.groups.members('render')[0]!.state === 'open', 'the worker started again');
  expect((await p.to('render').gather('who')).map((e) => e.ok && e.value)).toEqual([2]);
});
