// The memory budget shared by connections: what it counts, what it refuses, and that it never
// grows past its limit however the other sides behave.
import { afterEach, describe, expect, test } from 'vitest';
import { MemoryBudget, Peer, type ActivityEvent, type PeerOptions } from '@gotalk/peer';
import { delay, ScriptedTransport, waitFor } from '@gotalk/test-kit';

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

function budgeted(budget: MemoryBudget, options: PeerOptions = {}, highWaterMark?: number): { peer: Peer; t: ScriptedTransport; events: ActivityEvent[] } {
  const t = new ScriptedTransport(highWaterMark === undefined ? {} : { highWaterMark });
  const peer = new Peer(t, { heartbeatInterval: 0, budget, ...options });
  const events: ActivityEvent[] = [];
  peer.onActivity((e) => events.push(e));
  peers.push(peer);
  return { peer, t, events };
}

/** A header declaring `size` payload bytes for a request with a 4-char id. */
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

describe('MemoryBudget', () => {
  test('an account admits a part only for a stream its connection serves, and new work while it fits', () => {
    const budget = new MemoryBudget(100);
    const account = budget.account();
    const served = new Set([9]);
    const streams = { hasStream: (id: number) => served.has(id) };
    expect(account.admit('p', 8, 10, streams)).toBe(false); // no such stream: not taken
    expect(account.held).toBe(0);
    expect(account.admit('p', 9, 10, streams)).toBe(true);
    expect(account.admit('r', 1, 80, streams)).toBe(true);
    expect(account.admit('s', 2, 11, streams)).toBe(false); // 101 > 100
    expect(account.held).toBe(90);
    account.close();
    expect(budget.used).toBe(0);
  });

  test('takes what fits, refuses what does not, and an account gives back everything when closed', () => {
    const budget = new MemoryBudget(100);
    const a = budget.account();
    const b = budget.account();
    expect(a.take(60)).toBe(true);
    expect(b.take(41)).toBe(false);
    expect(b.take(40)).toBe(true);
    expect(budget.used).toBe(100);
    expect(budget.exhausted).toBe(true);
    a.free(10);
    expect(budget.used).toBe(90);
    a.free(1000); // more than it holds: only what it holds goes back
    expect(budget.used).toBe(40);
    b.backlog(30);
    expect(b.held).toBe(70);
    b.close();
    expect(budget.used).toBe(0);
    expect(b.take(1)).toBe(false); // a closed account takes nothing
  });

  test('before refusing, reads the backlogs again (sockets drain without saying so)', () => {
    const budget = new MemoryBudget(100);
    let unsent = 90;
    const a = budget.account(() => unsent);
    a.backlog(90);
    unsent = 0; // the socket drained on its own
    const b = budget.account();
    expect(b.take(50)).toBe(true);
    expect(budget.used).toBe(50);
  });

  test("an account may read the unsent bytes of an object's `unsent` (a Peer's), afresh each time", () => {
    const budget = new MemoryBudget(100);
    const conn = { unsent: 90 };
    const a = budget.account(conn);
    a.backlog(90);
    conn.unsent = 10; // drained: the next refusal reads it again and finds room
    const b = budget.account();
    expect(b.take(80)).toBe(true);
    expect(a.held).toBe(10);
    expect(budget.used).toBe(90);
  });

  test('rejects a limit that is not a whole number of bytes', () => {
    expect(() => new MemoryBudget(-1)).toThrow(RangeError);
    expect(() => new MemoryBudget(1.5)).toThrow(RangeError);
  });
});

describe('a peer with a memory budget', () => {
  test('a request whose payload does not fit gets a retry result, unread and unbuffered; the next one that fits is served', async () => {
    const budget = new MemoryBudget(1000);
    const { peer, t, events } = budgeted(budget);
    let calls = 0;
    peer.handlers.handleBytes('echo', (p) => (calls++, p));
    // 1001 declared bytes, of which only 10 arrive now: nothing may be allocated for them.
    t.feed(`01r0001004echo${hex(1001, 8)}0123456789`);
    const retry = await t.nextFrame('e');
    expect(retry.id).toBe(0x30303031);
    expect(retry.wait).toBeGreaterThanOrEqual(500);
    expect(new TextDecoder().decode(retry.payload)).toBe('server busy: memory budget reached');
    expect(budget.used).toBe(0);
    expect(events.some((e) => e.type === 'error' && (e.error as { code?: string }).code === 'OVER_BUDGET')).toBe(true);
    t.feed('x'.repeat(991)); // the rest of the refused payload is skipped
    t.feed('r0002004echo00000002hi');
    const r = await t.nextFrame('R');
    expect(new TextDecoder().decode(r.payload)).toBe('hi');
    expect(calls).toBe(1);
    expect(peer.open).toBe(true);
  });

  test('payloads held for handlers count until the handler is done', async () => {
    const budget = new MemoryBudget(1 << 20);
    const { peer, t } = budgeted(budget);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    peer.handlers.handleBytes('hold', async (p) => (await gate, p.subarray(0, 1)));
    t.feed(`01r0001004hold${hex(500, 8)}${'a'.repeat(500)}r0002004hold${hex(300, 8)}${'b'.repeat(300)}`);
    await waitFor(() => budget.used === 800, 'both payloads held', 2000);
    release();
    await t.nextFrame('R');
    await t.nextFrame('R');
    await waitFor(() => budget.used === 0, 'the budget given back', 2000);
  });

  test('64 streams joined for a bytes handler never hold more than the budget; the rest get retry results', async () => {
    const limit = 256 * 1024;
    const budget = new MemoryBudget(limit);
    const { peer, t } = budgeted(budget);
    let max = 0;
    peer.onActivity(() => (max = Math.max(max, budget.used)));
    peer.handlers.handleBytes('join', (p) => new TextEncoder().encode(String(p.length)));
    const part = 'z'.repeat(16 * 1024);
    t.feed('01');
    // 64 streams of 8 parts of 16 KiB (8 MiB in all, 32 times the budget), sent one after the
    // other without waiting for answers, as a socket delivers them: a chunk at a time.
    for (let i = 0; i < 64; i++) {
      const id = hex(0x1000 + i, 4);
      t.feed(`s${id}004join${hex(part.length, 8)}${part}`);
      for (let k = 0; k < 7; k++) {
        t.feed(`p${id}${hex(part.length, 8)}${part}`);
        max = Math.max(max, budget.used);
        await Promise.resolve();
      }
      t.feed(`p${id}00000000`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => t.frames.filter((f) => f.type === 'R' || f.type === 'e').length === 64, '64 answers', 5000);
    const answers = t.frames.filter((f) => f.type === 'R' || f.type === 'e');
    const served = answers.filter((f) => f.type === 'R');
    expect(served.length).toBeGreaterThan(0);
    for (const f of served) expect(new TextDecoder().decode((f as { payload: Uint8Array }).payload)).toBe(String(8 * part.length));
    expect(answers.filter((f) => f.type === 'e').length).toBe(64 - served.length);
    expect(max).toBeLessThanOrEqual(limit);
    await waitFor(() => budget.used === 0, 'the budget given back', 2000);
    expect(peer.open).toBe(true);
  });

  test('a burst of streams larger than the budget: refused, never held past it', async () => {
    const limit = 256 * 1024;
    const budget = new MemoryBudget(limit);
    const { peer, t } = budgeted(budget);
    peer.handlers.handleBytes('join', (p) => new TextEncoder().encode(String(p.length)));
    const part = 'z'.repeat(16 * 1024);
    t.feed('01');
    // All at once, interleaved: every stream opened, then every stream's next part, and so on.
    for (let i = 0; i < 64; i++) t.feed(`s${hex(0x1000 + i, 4)}004join${hex(part.length, 8)}${part}`);
    expect(budget.used).toBeLessThanOrEqual(limit);
    for (let k = 0; k < 7; k++) for (let i = 0; i < 64; i++) t.feed(`p${hex(0x1000 + i, 4)}${hex(part.length, 8)}${part}`);
    expect(budget.used).toBeLessThanOrEqual(limit);
    for (let i = 0; i < 64; i++) t.feed(`p${hex(0x1000 + i, 4)}00000000`);
    await waitFor(() => t.frames.filter((f) => f.type === 'R' || f.type === 'e').length === 64, '64 answers', 5000);
    await waitFor(() => budget.used === 0, 'the budget given back', 2000);
    expect(peer.open).toBe(true);
  });

  test('a stream handler reading slowly: its buffered parts count, and a part that does not fit fails the stream with a retry result', async () => {
    const budget = new MemoryBudget(40 * 1024);
    const { peer, t } = budgeted(budget, { limits: { streamBuffer: 1 << 20 } });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let failure: unknown;
    peer.handlers.handleStream('slow', async function* (parts) {
      await gate;
      let n = 0;
      try {
        for await (const p of parts) n += p.length;
      } catch (err) {
        failure = err;
        throw err;
      }
      yield new TextEncoder().encode(String(n));
    });
    const part = 'q'.repeat(16 * 1024);
    t.feed(`01s0001004slow${hex(part.length, 8)}${part}p0001${hex(part.length, 8)}${part}`);
    expect(budget.used).toBe(32 * 1024);
    t.feed(`p0001${hex(part.length, 8)}${part}`); // 48 KiB > 40 KiB: refused
    expect(budget.used).toBe(32 * 1024);
    release();
    const e = await t.nextFrame('e');
    expect(e.id).toBe(0x30303031);
    expect(failure).toMatchObject({ code: 'OVER_BUDGET' });
    await waitFor(() => budget.used === 0, 'the budget given back', 2000);
    expect(peer.open).toBe(true);
  });

  test('a refused part after the result began: an error result (a retry can no longer be told apart)', async () => {
    const budget = new MemoryBudget(20 * 1024);
    const { peer, t } = budgeted(budget, { limits: { streamBuffer: 1 << 20 } });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    peer.handlers.handleStream('echo', async function* (parts) {
      yield new Uint8Array([1]);
      await gate;
      for await (const p of parts) yield p.subarray(0, 1);
    });
    const part = 'q'.repeat(16 * 1024);
    t.feed(`01s0001004echo${hex(part.length, 8)}${part}`);
    await t.nextFrame('S');
    t.feed(`p0001${hex(part.length, 8)}${part}`);
    release();
    const err = await t.nextFrame('E');
    expect(new TextDecoder().decode(err.payload)).toMatch(/memory budget/);
    await waitFor(() => budget.used === 0, 'the budget given back', 2000);
  });

  test('unsent replies count, and a connection that does not read while the budget is spent is closed', async () => {
    const budget = new MemoryBudget(64 * 1024);
    const { peer, t } = budgeted(budget, {}, 16 * 1024);
    peer.handlers.handleBytes('big', () => new Uint8Array(20 * 1024));
    Object.defineProperty(t, 'bufferedAmount', { get: () => t.output.length }); // the far end reads nothing
    t.feed('01');
    for (let i = 0; i < 3; i++) t.feed(`r${hex(i, 4)}003big00000000`);
    await waitFor(() => budget.used >= 60 * 1024, 'the replies counted', 2000);
    expect(peer.open).toBe(true);
    // Each new request after its predecessor's reply was written: past the budget, refused, and
    // with its replies piling up unread the connection goes.
    for (let i = 3; i < 8 && peer.open; i++) {
      t.feed(`r${hex(i, 4)}003big00000001x`);
      await delay(5);
    }
    const info = await peer.closed;
    expect(info.reason).toBe('transport');
    expect(info.error?.message).toMatch(/not reading/);
    expect(budget.used).toBe(0);
  });

  test('replies and notifications: counted while gathered; one that does not fit fails its request with OVER_BUDGET', async () => {
    const budget = new MemoryBudget(100);
    const { peer, t, events } = budgeted(budget);
    t.feed('01');
    const ask = peer.requestBytes('x', new Uint8Array(0));
    const sent = await t.nextFrame('r');
    t.feed(`R${hex(sent.id, 8).replace(/../g, (h) => String.fromCharCode(parseInt(h, 16)))}${hex(200, 8)}`);
    await expect(ask).rejects.toMatchObject({ code: 'OVER_BUDGET' });
    t.feed('y'.repeat(200));
    t.feed(`n003big${hex(150, 8)}${'n'.repeat(150)}`);
    expect(events.some((e) => e.type === 'error' && (e.error as { code?: string }).code === 'OVER_BUDGET')).toBe(true);
    t.feed('n005small00000002{}');
    expect(budget.used).toBe(0);
    expect(peer.open).toBe(true);
  });

  test('parts of no stream are skipped without being buffered', () => {
    const budget = new MemoryBudget(10);
    const { peer, t } = budgeted(budget);
    t.feed(`01p0009${hex(5000, 8)}`);
    expect(budget.used).toBe(0);
    t.feed('z'.repeat(5000));
    expect(peer.open).toBe(true);
  });
});
