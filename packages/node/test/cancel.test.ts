// The cancel extension over real transports: a request aborted or timed out by its caller fires
// the handler's signal on the other side within a few ms, over TCP, a Unix socket and WebSocket.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, listen, type Peer, type Server } from '@gotalk/node';
import { Cleanup, deferred } from '@gotalk/test-kit';
import { tempDir } from '@gotalk/test-kit/node';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function pairOver(kind: 'tcp' | 'unix' | 'ws'): Promise<{ server: Server; client: Peer }> {
  const address = kind === 'tcp' ? 'tcp://127.0.0.1:0' : kind === 'ws' ? 'ws://127.0.0.1:0/gotalk/' : `unix:${await tempDir(cleanup)}/c.sock`;
  const server = await listen(address, { ws: { bundle: null } });
  cleanup.add(async () => {
    for (const p of server.peers) p.destroy();
    await server.close();
  });
  const client = await connect(server.addresses[0]!);
  cleanup.add(() => client.destroy());
  return { server, client };
}

describe.each(['tcp', 'unix', 'ws'] as const)('over %s', (kind) => {
  it("an abort and a timeout each fire the handler's signal within a few ms", async () => {
    const { server, client } = await pairOver(kind);
    const fired: { at: number; code: unknown }[] = [];
    let running = deferred<void>();
    server.handlers.handle('slow', (_v, ctx) => {
      running.resolve();
      return new Promise((resolve) =>
        ctx.signal.addEventListener('abort', () => {
          fired.push({ at: performance.now(), code: (ctx.signal.reason as { code?: string }).code });
          resolve(null);
        }),
      );
    });
    const controller = new AbortController();
    const aborted = client.request('slow', null, { signal: controller.signal }).catch((e: { code: string }) => e.code);
    await running.promise;
    const abortAt = performance.now();
    controller.abort();
    expect(await aborted).toBe('ABORTED');
    await expect.poll(() => fired.length, { timeout: 2000 }).toBe(1);
    expect(fired[0]!.at - abortAt).toBeLessThan(250);
    expect(fired[0]!.code).toBe('ABORTED');

    running = deferred<void>();
    const started = performance.now();
    expect(await client.request('slow', null, { timeout: 100 }).catch((e: { code: string }) => e.code)).toBe('TIMEOUT');
    await expect.poll(() => fired.length, { timeout: 2000 }).toBe(2);
    expect(fired[1]!.at - started).toBeLessThan(100 + 250);
    await expect.poll(() => [...server.peers][0]!.inFlight, { timeout: 2000 }).toBe(0);
  });
});
