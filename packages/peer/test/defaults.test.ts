// The defaults, pinned against each other: a link of default peers that carries no requests
// must stay up, so the idle timeout must outlast the heartbeats that keep it alive. Time is
// fake here (vi fake timers, monotonic clock included): ten quiet minutes take milliseconds.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { connectedPeers, DEFAULTS, type CloseInfo, type Peer } from '@gotalk/peer';
import { useFakeClocks } from '@gotalk/test-kit';

afterEach(() => {
  vi.useRealTimers();
});

/** Counts the heartbeats `peer` receives. */
function heartbeatsIn(peer: Peer): () => number {
  let n = 0;
  peer.onActivity((e) => {
    if (e.type === 'heartbeat' && e.dir === 'in') n++;
  });
  return () => n;
}

describe('the defaults, against each other', () => {
  test('the idle timeout outlasts three heartbeat intervals, and heartbeats are on', () => {
    expect(DEFAULTS.heartbeatInterval).toBeGreaterThan(0);
    expect(DEFAULTS.idleTimeout).toBeGreaterThan(3 * DEFAULTS.heartbeatInterval);
  });

  test('two peers with default options stay connected through ten quiet minutes, beating all along', async () => {
    useFakeClocks();
    const [a, b] = connectedPeers();
    const closes: CloseInfo[] = [];
    for (const p of [a, b]) void p.closed.then((info) => closes.push(info));
    const [atA, atB] = [heartbeatsIn(a), heartbeatsIn(b)];
    await Promise.all([a.ready, b.ready]);
    const minutes = 10;
    const steps = (minutes * 60_000) / 1000;
    for (let i = 0; i < steps && closes.length === 0; i++) await vi.advanceTimersByTimeAsync(1000);
    expect(closes).toEqual([]);
    expect(a.open && b.open).toBe(true);
    // One at the handshake, then one every interval.
    const beats = 1 + (minutes * 60_000) / DEFAULTS.heartbeatInterval;
    expect(atA()).toBeGreaterThanOrEqual(beats - 1);
    expect(atB()).toBeGreaterThanOrEqual(beats - 1);
    a.destroy();
  });
});
