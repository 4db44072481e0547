// A default client and a default server stay connected through a long quiet period, over real
// sockets: the timers and clocks are fake (vi fake timers), the I/O is real. Time is moved on
// one heartbeat interval at a time, and each step waits (in real time) for the heartbeats it
// caused to cross the connection both ways before the next.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, DEFAULT_SERVER_BUDGETS, DEFAULTS, type CloseInfo, type Peer } from '@gotalk/node';
import { Cleanup, useFakeClocks } from '@gotalk/test-kit';
import { serve, waitForIo } from '@gotalk/test-kit/node';

const cleanup = new Cleanup();
afterEach(async () => {
  vi.useRealTimers();
  await cleanup.run();
});

/** Counts the heartbeats `peer` receives. */
function heartbeatsIn(peer: Peer): () => number {
  let n = 0;
  peer.onActivity((e) => {
    if (e.type === 'heartbeat' && e.dir === 'in') n++;
  });
  return () => n;
}

describe('the defaults, over real connections', () => {
  it('a server that never heard a heartbeat waits longer than one default interval before it drops the client', () => {
    expect(DEFAULT_SERVER_BUDGETS.silenceTimeout).toBeGreaterThan(DEFAULTS.heartbeatInterval);
    expect(DEFAULTS.idleTimeout).toBeGreaterThan(3 * DEFAULTS.heartbeatInterval);
  });

  for (const address of ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/gotalk/']) {
    const kind = address.split(':')[0];
    it(`${kind}: a default client and a default server stay connected through ten quiet minutes`, async () => {
      useFakeClocks();
      const server = await serve(cleanup, address);
      const accepted = new Promise<Peer>((resolve) => server.once('connection', resolve));
      const client = await connect(server.addresses[0]!);
      cleanup.add(() => client.destroy());
      const serverPeer = await accepted;
      const closes: CloseInfo[] = [];
      for (const p of [client, serverPeer]) void p.closed.then((info) => closes.push(info));
      const [atClient, atServer] = [heartbeatsIn(client), heartbeatsIn(serverPeer)];
      // Each side beat once at the handshake; wait for those to arrive.
      await waitForIo(() => client.remoteHeartbeat !== undefined && serverPeer.remoteHeartbeat !== undefined, 'the handshake heartbeats');
      const [c0, s0] = [atClient(), atServer()];
      const steps = (10 * 60_000) / DEFAULTS.heartbeatInterval;
      for (let i = 1; i <= steps && closes.length === 0; i++) {
        await vi.advanceTimersByTimeAsync(DEFAULTS.heartbeatInterval);
        await waitForIo(() => (atClient() >= c0 + i && atServer() >= s0 + i) || closes.length > 0, `heartbeat ${i} both ways`);
      }
      expect(closes).toEqual([]);
      expect(client.open && serverPeer.open).toBe(true);
      expect(server.peers.size).toBe(1);
      expect(atClient() - c0).toBeGreaterThanOrEqual(steps);
      expect(atServer() - s0).toBeGreaterThanOrEqual(steps);
    });
  }
});
