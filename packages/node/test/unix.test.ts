// Unix socket listeners: file mode, stale socket files, never stealing a live socket.
import { spawn } from 'node:child_process';
import { lstat, readFile, stat, writeFile } from 'node:fs/promises';
import { connect as netConnect, createServer as createNetServer, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, listen, NodeError, type Server, type ServerOptions } from '@gotalk/node';
import { Cleanup, tempDir, within } from './support.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function serve(path: string, options: ServerOptions = {}): Promise<Server> {
  const server = await listen(`unix:${path}`, options);
  cleanup.add(async () => {
    for (const p of server.peers) p.destroy();
    await server.close();
  });
  server.handlers.handle('echo', (v) => v);
  return server;
}

async function roundTrip(path: string): Promise<unknown> {
  const client = await connect(`unix:${path}`);
  try {
    return await client.request('echo', { via: path });
  } finally {
    client.destroy();
  }
}

const exists = (path: string) => lstat(path).then(() => true, () => false);

/**
 * Leaves a stale socket file at `path`: a child process listens there and is killed with
 * SIGKILL, so nothing unlinks the file and nobody listens on it any more.
 */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.stdout.write('ready\\n'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanup.add(() => child.kill('SIGKILL'));
  await within(
    new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`the child exited early (${code})`)));
    }),
    10_000,
    'the child to listen',
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await within(exited, 10_000, 'the child to die');
}

describe('Unix socket listeners', () => {
  it('creates the socket owner-only (0600) by default, and removes it on close', async () => {
    const path = join(await tempDir(cleanup), 'mode.sock');
    const server = await listen(`unix:${path}`);
    try {
      const s = await stat(path);
      expect(s.isSocket()).toBe(true);
      expect(s.mode & 0o777).toBe(0o600);
      server.handlers.handle('echo', (v) => v);
      expect(await roundTrip(path)).toEqual({ via: path });
    } finally {
      await server.close();
    }
    expect(await exists(path)).toBe(false);
  });

  it('uses the configured unixMode', async () => {
    const path = join(await tempDir(cleanup), 'group.sock');
    await serve(path, { unixMode: 0o660 });
    expect((await stat(path)).mode & 0o777).toBe(0o660);
  });

  it('replaces a stale socket file left by a process that died', async () => {
    const path = join(await tempDir(cleanup), 'stale.sock');
    await staleSocket(path);
    expect((await lstat(path)).isSocket()).toBe(true);
    // Nobody listens there any more.
    await expect(connect(`unix:${path}`)).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    const server = await serve(path);
    expect(server.addresses).toEqual([`unix:${path}`]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await roundTrip(path)).toEqual({ via: path });
  });

  it('never steals a live socket: ADDRESS_IN_USE, and the other server keeps working', async () => {
    const path = join(await tempDir(cleanup), 'live.sock');
    const other: NetServer = createNetServer((socket) => {
      socket.on('error', () => {}); // the liveness probe hangs up at once
      socket.end('still here');
    });
    await new Promise<void>((resolve) => other.listen(path, resolve));
    cleanup.add(() => new Promise<void>((resolve) => other.close(() => resolve())));
    const err = await listen(`unix:${path}`).then(
      async (s) => {
        await s.close();
        throw new Error('listened on a live socket');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NodeError);
    expect(err).toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect((err as Error).message).toContain(path);
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      const probe = netConnect({ path });
      probe.on('data', (d: Buffer) => (text += d.toString()));
      probe.on('end', () => resolve(text));
      probe.on('error', reject);
    });
    expect(reply).toBe('still here');
  });

  it('never steals a live Gotalk server either', async () => {
    const path = join(await tempDir(cleanup), 'gotalk.sock');
    await serve(path);
    await expect(listen(`unix:${path}`)).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect(await roundTrip(path)).toEqual({ via: path });
  });

  it('leaves a regular file at the path alone: ADDRESS_IN_USE', async () => {
    const path = join(await tempDir(cleanup), 'precious.txt');
    await writeFile(path, 'do not delete');
    const err = await listen(`unix:${path}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeError);
    expect(err).toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect(await readFile(path, 'utf8')).toBe('do not delete');
  });

  it('a failed listen() removes the socket files it created', async () => {
    const dir = await tempDir(cleanup);
    const first = join(dir, 'first.sock');
    const blocked = join(dir, 'blocked.txt');
    await writeFile(blocked, 'x');
    await expect(listen([`unix:${first}`, `unix:${blocked}`])).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    expect(await exists(first)).toBe(false);
    expect(await readFile(blocked, 'utf8')).toBe('x');
  });
});
