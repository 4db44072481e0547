// Gotalk over worker-thread message ports: the conformance suite over a MessageChannel, and a
// real worker thread whose producer outruns its consumer, exits, and crashes.
import { MessageChannel, type Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS, Peer, threadTransport, type MessagePortTransport } from '@gotalk/node';

import { tsWorker, workerFixture } from './worker-support.ts';
import { Cleanup, delay, describeTransport, within } from '@gotalk/test-kit';

describeTransport('message port (MessageChannel)', async (options) => {
  const { port1, port2 } = new MessageChannel();
  const client = new Peer(threadTransport(port1), options);
  const serverPeer = new Peer(threadTransport(port2), options);
  await Promise.all([client.ready, serverPeer.ready]);
  return {
    client,
    serverPeer,
    handlers: serverPeer.handlers,
    async teardown() {
      client.destroy();
      serverPeer.destroy();
      port1.close();
    },
  };
});

describe('a worker thread over threadTransport', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  /** A producer worker and the parent's peer to it; the worker is terminated after the test. */
  async function producer(): Promise<{ worker: Worker; transport: MessagePortTransport; peer: Peer; produced: () => number }> {
    const worker = tsWorker(workerFixture('producer.ts'));
    cleanup.add(() => worker.terminate());
    let produced = 0;
    const transport = threadTransport(worker);
    // The worker's own messages on the same port, beside the transport's.
    worker.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && 'produced' in m) produced = (m as { produced: number }).produced;
    });
    const peer = new Peer(transport, { heartbeatInterval: 0 });
    cleanup.add(() => peer.destroy());
    await within(peer.ready, 15_000, 'the worker to connect');
    return { worker, transport, peer, produced: () => produced };
  }

  it('stalls a producer 100x faster than its consumer: bounded queues on both sides, every part intact', async () => {
    const { worker, transport, peer, produced } = await producer();
    const window = DEFAULTS.highWaterMark;
    const streamBuffer = DEFAULTS.limits.streamBuffer;
    const size = 32 * 1024;
    const count = 250; // 7.8 MiB: many windows
    const consumerMs = 10;
    let maxQueued = 0;
    // After the transport's own listener (registered first), so the arrival is counted.
    worker.on('message', () => (maxQueued = Math.max(maxQueued, transport.queued)));
    let consumed = 0;
    let maxAhead = 0;
    const started = performance.now();
    for await (const part of peer.stream('produce', new TextEncoder().encode(JSON.stringify({ count, size })))) {
      expect(part.length).toBe(size);
      expect(new DataView(part.buffer, part.byteOffset).getUint32(0)).toBe(consumed);
      expect(part[size - 1]).toBe(consumed & 0xff);
      consumed++;
      maxAhead = Math.max(maxAhead, produced() - consumed);
      await delay(consumerMs);
    }
    const consumerPerPart = (performance.now() - started) / count;
    expect(consumed).toBe(count);
    const stats = (await peer.request('stats')) as { maxBuffered: number; produced: number; busyMs: number };
    expect(stats.produced).toBe(count);
    // The producer makes a part over 100 times faster than the consumer takes one.
    const producerPerPart = stats.busyMs / count;
    expect(consumerPerPart / producerPerPart).toBeGreaterThan(100);
    // The worker's unacknowledged bytes, and what the parent received but did not deliver,
    // stay under two windows; the producer never ran further ahead than the windows and the
    // stream buffer hold, out of the 250 parts it could have made at once.
    expect(stats.maxBuffered).toBeLessThanOrEqual(2 * window);
    expect(maxQueued).toBeLessThanOrEqual(2 * window);
    expect(maxAhead * size).toBeLessThanOrEqual(2 * window + streamBuffer + 4 * size);
    console.log(
      `flow control: window ${window} B; worker unacknowledged max ${stats.maxBuffered} B; parent queue max ${maxQueued} B; ` +
        `producer ahead max ${maxAhead} parts (${maxAhead * size} B) of ${count}; producer ${producerPerPart.toFixed(4)} ms/part, consumer ${consumerPerPart.toFixed(2)} ms/part`,
    );
  });

  it('a worker that exits before closing ends the connection with WORKER_EXITED and its exit code; pending requests fail with CLOSED', async () => {
    const { peer } = await producer();
    const pending = peer.request('exit', 3);
    await expect(within(pending, 10_000, 'the request')).rejects.toMatchObject({ code: 'CLOSED' });
    const info = await within(peer.closed, 10_000, 'the close');
    expect(info.reason).toBe('transport');
    expect(info.error?.cause).toMatchObject({ name: 'WorkerExitedError', code: 'WORKER_EXITED', exitCode: 3, signal: null, error: null });
  });

  it('a worker that crashes ends the connection with WORKER_EXITED, its uncaught error as the cause', async () => {
    const { peer } = await producer();
    expect(await peer.request('crash')).toBeNull();
    const info = await within(peer.closed, 10_000, 'the close');
    const exit = info.error?.cause as Error & { code: string; exitCode: number; cause: Error };
    expect(exit).toMatchObject({ code: 'WORKER_EXITED', exitCode: 1 });
    expect(exit.cause).toMatchObject({ name: 'TypeError', message: 'the worker broke' });
    expect(exit.message).toContain('TypeError: the worker broke');
  });

  it('a clean close is no error, whenever the worker exits after it; the parent is not held open', async () => {
    const { worker, peer } = await producer();
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    expect(await peer.close()).toEqual({ reason: 'closed', error: null });
    // The worker's port no longer holds its thread: it exits by itself.
    expect(await within(exited, 10_000, 'the worker to exit')).toBe(0);
  });
});
