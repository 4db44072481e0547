// spawnWorker and spawnProcess: a ready peer to a worker thread or a child process started from
// a TypeScript module, both ends serving and calling; exits, crashes and kills told apart; no
// process left behind.
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, encodeVersion } from '@gotalk/protocol';
import { Handlers, memoryPair, Peer, spawnProcess, spawnWorker, WorkerExitedError, type SpawnedPeer, type SpawnProcessOptions } from '@gotalk/node';
import { VersionGate } from '../src/spawn/version-gate.ts';
import { childProcesses, tsProcess } from './process-support.ts';

import { workerFixture } from './worker-support.ts';
import { Cleanup, deferred, waitFor, within } from '@gotalk/test-kit';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
// No process is left running once every test has ended its own (a child's esbuild may take a moment).
afterAll(async () => {
  await waitFor(() => childProcesses().length === 0, 'no process left', 10_000).catch(() => {});
  expect(childProcesses()).toEqual([]);
});

const WORKER = workerFixture('worker.ts');

type Spawn = (module: URL, options?: SpawnProcessOptions) => Promise<SpawnedPeer>;

const kinds: [string, Spawn][] = [
  ['worker thread', (m, o) => spawnWorker(m, { loader: 'tsx', ...o })],
  ['child process', (m, o) => spawnProcess(m, { loader: 'tsx', ...o })],
];

/** Spawns `module`, killed after the test. */
async function started(spawn: Spawn, module: URL = WORKER, options: SpawnProcessOptions = {}): Promise<SpawnedPeer> {
  const peer = await spawn(module, { connectTimeout: 15_000, ...options });
  cleanup.add(() => peer.kill());
  return peer;
}

/** The WORKER_EXITED error a peer closed with (as the cause of its CLOSED error). */
async function exitOf(peer: Peer): Promise<WorkerExitedError> {
  const info = await within(peer.closed, 10_000, 'the peer to close');
  expect(info.reason).toBe('transport');
  expect(info.error?.cause).toBeInstanceOf(WorkerExitedError);
  return info.error!.cause as WorkerExitedError;
}

describe.each(kinds)('spawned %s', (kind, spawn) => {
  it('hands back a ready peer; both ends serve and call; handlers registered right after the await see the first message', async () => {
    const handlers = new Handlers();
    handlers.handle('next-job', () => null);
    const worker = await started(spawn, WORKER, { handlers });
    const hello = deferred<unknown>();
    worker.handlers.onNotification('hello', (v) => hello.resolve(v));
    expect(await worker.request('square', 12)).toBe(144);
    const me = (await worker.request('whoami')) as { pid: number; threadId: number };
    if (kind === 'worker thread') {
      expect(me.pid).toBe(process.pid);
      expect(me.threadId).toBe(worker.info?.['threadId']);
    } else {
      expect(me.pid).toBe(worker.info?.['pid']);
    }
    expect(await within(hello.promise, 5000, 'the hello sent at once')).toEqual({ pid: me.pid, threadId: me.threadId });
    expect(await worker.request('work')).toBe(0); // it asked the parent, through the shared handlers
  });

  it('asks the parent for more work and reports progress by notification', async () => {
    const jobs = Array.from({ length: 12 }, (_, id) => ({ id, n: id + 3 }));
    const results = new Map<number, number>();
    const progress: number[] = [];
    const handlers = new Handlers();
    handlers.handle('next-job', () => jobs.shift() ?? null);
    handlers.handle('result', (v) => void results.set((v as { id: number }).id, (v as { square: number }).square));
    handlers.onNotification('progress', (v) => void progress.push((v as { id: number }).id));
    const worker = await started(spawn, WORKER, { handlers });
    expect(await worker.request('work')).toBe(12);
    expect([...results.entries()].sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: 12 }, (_, id) => [id, (id + 3) ** 2]));
    await waitFor(() => progress.length === 12, 'every progress notification');
    expect(progress).toEqual(Array.from({ length: 12 }, (_, id) => id));
  });

  it('a worker that exits before closing closes the peer with WORKER_EXITED and its exit code; pending requests fail', async () => {
    const worker = await started(spawn);
    const pending = worker.request('hang').catch((e: unknown) => e);
    expect(await worker.request('exit', 7)).toBe('exiting');
    const exit = await exitOf(worker);
    expect(exit).toMatchObject({ code: 'WORKER_EXITED', exitCode: 7, signal: null, error: null });
    expect(await pending).toMatchObject({ code: 'CLOSED' });
    expect(await worker.exited).toEqual({ exitCode: 7, signal: null, error: null });
  });

  it('a worker that crashes closes the peer with WORKER_EXITED, its uncaught error as the cause', async () => {
    const worker = await started(spawn);
    expect(await worker.request('crash')).toBe('crashing');
    const exit = await exitOf(worker);
    expect(exit).toMatchObject({ code: 'WORKER_EXITED', exitCode: 1 });
    expect(exit.cause).toMatchObject({ name: 'RangeError', message: 'the worker broke' });
    expect(exit.message).toContain('exited with code 1: RangeError: the worker broke');
    expect((await worker.exited).error?.message).toBe('the worker broke');
  });

  it('close() is clean whenever the worker exits after it; stop() waits for the exit; kill() ends it at once', async () => {
    const a = await started(spawn);
    expect(await a.close()).toEqual({ reason: 'closed', error: null });
    expect(await within(a.exited, 10_000, 'the exit')).toEqual({ exitCode: 0, signal: null, error: null });
    const b = await started(spawn);
    expect(await within(b.stop(), 10_000, 'stop()')).toEqual({ exitCode: 0, signal: null, error: null });
    expect(await b.closed).toEqual({ reason: 'closed', error: null });
    const c = await started(spawn);
    const exit = await within(c.kill(), 10_000, 'kill()');
    if (kind === 'child process') expect(exit).toEqual({ exitCode: null, signal: 'SIGKILL', error: null });
    else expect(exit.exitCode).toBe(1); // a terminated thread
    expect((await exitOf(c)).code).toBe('WORKER_EXITED');
  });

  it('rejects with CONNECT_TIMEOUT for a module that never connects, and ends it', async () => {
    const err = await spawn(workerFixture('silent.ts'), { connectTimeout: 1500 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONNECT_TIMEOUT' });
    expect(childProcesses().filter((p) => p.includes('silent.ts'))).toEqual([]);
  });

  it('rejects with WORKER_EXITED for a module that fails to load', async () => {
    const err = (await spawn(workerFixture('no-such-module.ts')).catch((e: unknown) => e)) as WorkerExitedError;
    expect(err).toBeInstanceOf(WorkerExitedError);
    expect(err.exitCode).toBe(1);
  });

  it('rejects bad options before starting anything, and SPAWN_FAILED for loader tsx where no tsx is installed', async () => {
    await expect(spawn(WORKER, { connectTimeout: -1 })).rejects.toThrow(RangeError);
    await expect(spawn(WORKER, { highWaterMark: 0 })).rejects.toThrow(RangeError);
    await expect(spawn(WORKER, { heartbeatInterval: -5 })).rejects.toThrow(RangeError);
    const dir = await mkdtemp(join(tmpdir(), 'gtk-'));
    cleanup.add(() => rm(dir, { recursive: true, force: true }));
    const lonely = join(dir, 'lonely.ts');
    await writeFile(lonely, 'export {};\n');
    await expect(spawn(new URL(`file://${lonely}`))).rejects.toMatchObject({ code: 'SPAWN_FAILED' });
  });
});

describe('spawned workers together', () => {
  it('one worker calls another through the parent: a thread asks a child process', async () => {
    const handlers = new Handlers();
    const thread = await started(kinds[0]![1], WORKER, { handlers });
    const child = await started(kinds[1]![1], WORKER, { handlers });
    handlers.handle('relay', (v) => {
      const { op, value } = v as { op: string; value: unknown };
      return child.request(op, value);
    });
    expect(await thread.request('ask-sibling', { op: 'square', value: 9 })).toBe(81);
    const them = (await thread.request('ask-sibling', { op: 'whoami' })) as { pid: number };
    expect(them.pid).toBe(child.info?.['pid']);
  });

  it('a child process killed by a signal closes the peer with WORKER_EXITED naming it', async () => {
    const child = (await started(kinds[1]![1])) as SpawnedPeer<import('node:child_process').ChildProcess>;
    child.worker.kill('SIGTERM');
    expect(await exitOf(child)).toMatchObject({
      code: 'WORKER_EXITED',
      exitCode: null,
      signal: 'SIGTERM',
      message: expect.stringContaining('was killed by SIGTERM'),
    });
  });

  it('passes args to a child process; connectToParent in a program nobody spawned rejects with NO_PARENT', async () => {
    const child = await spawnProcess(WORKER, { loader: 'tsx', args: ['--role', 'second'] });
    cleanup.add(() => child.kill());
    expect(((await child.request('whoami')) as { argv: string[] }).argv).toEqual(['--role', 'second']);
    const orphan = tsProcess(cleanup, workerFixture('no-parent.ts'));
    const [out] = (await once(orphan.stdout!.setEncoding('utf8'), 'data')) as [string];
    expect(out.trim()).toBe('NO_PARENT');
  });
});

describe('the version gate of spawned peers', () => {
  it('reads nothing after the version until released, so handlers registered after the handshake see a request sent with it', async () => {
    const [mine, theirs] = memoryPair();
    const gate = new VersionGate(mine);
    const peer = new Peer(gate, { heartbeatInterval: 0 });
    cleanup.add(() => peer.destroy());
    const replies: Uint8Array[] = [];
    theirs.start({ data: (c) => void replies.push(c), drain: () => {}, close: () => {} });
    // The other side's version and its first request in one chunk, as a socket may deliver them.
    const version = encodeVersion();
    const request = encodeFrame({ type: 'r', id: 1, op: 'greet', payload: new TextEncoder().encode('"ada"') });
    const chunk = new Uint8Array(version.length + request.length);
    chunk.set(version);
    chunk.set(request, version.length);
    theirs.write(chunk);
    await within(peer.ready, 5000, 'the handshake');
    peer.handlers.handle('greet', (name) => `hello ${String(name)}`);
    gate.release();
    await waitFor(() => Buffer.concat(replies).toString('latin1').includes('hello ada'), 'the answer');
    expect(Buffer.concat(replies).toString('latin1')).not.toContain('unknown operation');
  });
});
