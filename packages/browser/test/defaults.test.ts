// The browser client with its defaults and a default server stay connected through a long quiet
// period, over a real WebSocket (`ws`'s, in Node): the timers and clocks are fake (vi fake
// timers), the I/O is real. Time moves one heartbeat interval at a time, and each step waits
// (in real time) for the heartbeats it caused to cross both ways.
import { afterEach, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { Peer as ServerPeer } from '@gotalk/node';
import { connect, type ClientEvents } from '@gotalk/browser';
import { DEFAULTS } from '@gotalk/peer';
import { Cleanup, useFakeClocks } from '@gotalk/test-kit';
import { serve, waitForIo } from '@gotalk/test-kit/node';

const cleanup = new Cleanup();
afterEach(async () => {
  vi.useRealTimers();
  await cleanup.run();
});

it('a client with its defaults and a default server stay connected through ten quiet minutes', async () => {
  useFakeClocks();
  // The fake monotonic clock starts at 0, which the client takes for "not connected yet" (a
  // page's performance.now() is past 0 by the time a script runs): start it a second in.
  vi.advanceTimersByTime(1000);
  const server = await serve(cleanup);
  const accepted = new Promise<ServerPeer>((resolve) => server.once('connection', resolve));
  const c = connect(server.addresses[0]!, { WebSocket });
  cleanup.add(() => c.close());
  const closes: ClientEvents['close'][] = [];
  c.on('close', (e) => closes.push(e));
  let atClient = 0;
  c.onActivity((e) => void (e.type === 'heartbeat' && e.dir === 'in' && atClient++));
  const serverPeer = await accepted;
  let atServer = 0;
  serverPeer.onActivity((e) => void (e.type === 'heartbeat' && e.dir === 'in' && atServer++));
  await waitForIo(() => c.connected && c.peer!.remoteHeartbeat !== undefined && serverPeer.remoteHeartbeat !== undefined, 'the handshake heartbeats');
  const [c0, s0] = [atClient, atServer];
  const steps = (10 * 60_000) / DEFAULTS.heartbeatInterval;
  for (let i = 1; i <= steps && closes.length === 0; i++) {
    await vi.advanceTimersByTimeAsync(DEFAULTS.heartbeatInterval);
    await waitForIo(() => (atClient >= c0 + i && atServer >= s0 + i) || closes.length > 0, `heartbeat ${i} both ways`);
  }
  expect(closes).toEqual([]);
  expect(c.connected && serverPeer.open).toBe(true);
  expect(atClient - c0).toBeGreaterThanOrEqual(steps);
  expect(atServer - s0).toBeGreaterThanOrEqual(steps);
});
