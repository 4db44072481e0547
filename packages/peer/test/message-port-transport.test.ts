// MessagePortTransport over a structural port pair whose postMessage has the semantics of a real
// one (structuredClone with the transfer list, delivered as a task of its own), so that credit,
// transfers, ends and hostile messages can be watched message by message.
import { afterEach, describe, expect, it } from 'vitest';
import { MessagePortTransport, Peer, type MessageEventLike, type MessagePortLike, type MessagePortTransportOptions, type TransportEvents } from '@gotalk/peer';
import { bytes, delay, str, waitFor } from '@gotalk/test-kit';

const KiB = 1024;

/** What a port posted: the message as given (its transferred buffers are detached since), and the size of its bytes when posted. */
interface Posted {
  readonly message: unknown;
  readonly transfer: ArrayBuffer[];
  readonly size: number;
}

/** One end of a port pair: what it posted, and a way to deliver a message to it as if from the other side. */
interface FakePort extends MessagePortLike {
  readonly posted: Posted[];
  /** Delivers `message` to this end's listeners as if the other end had posted it. */
  inject(message: unknown): void;
}

function portPair(): [FakePort, FakePort] {
  const make = (): FakePort & { other?: FakePort } => {
    const listeners = new Set<(e: MessageEventLike) => void>();
    const port: FakePort & { other?: FakePort } = {
      posted: [] as Posted[],
      postMessage(message: unknown, transfer: ArrayBuffer[]) {
        const data = (message as { bytes?: unknown } | null)?.bytes;
        port.posted.push({ message, transfer, size: data instanceof Uint8Array ? data.length : 0 });
        const copy = structuredClone(message, { transfer });
        setTimeout(() => port.other!.inject(copy), 0);
      },
      addEventListener: (_: 'message', l: (e: MessageEventLike) => void) => void listeners.add(l),
      removeEventListener: (_: 'message', l: (e: MessageEventLike) => void) => void listeners.delete(l),
      inject(message: unknown) {
        for (const l of [...listeners]) l({ data: message });
      },
    };
    return port;
  };
  const a = make();
  const b = make();
  a.other = b;
  b.other = a;
  return [a, b];
}

/** What a port posted of one kind. */
function postedOf(port: FakePort, kind: string): Posted[] {
  return port.posted.filter((p) => (p.message as { gotalk?: unknown } | null)?.gotalk === kind);
}

/** Records what a transport reports. */
function recorder(): TransportEvents & { chunks: Uint8Array[]; drains: number; ends: number; closes: (Error | undefined)[] } {
  const r = {
    chunks: [] as Uint8Array[],
    drains: 0,
    ends: 0,
    closes: [] as (Error | undefined)[],
    data: (c: Uint8Array) => void r.chunks.push(c),
    drain: () => void r.drains++,
    end: () => void r.ends++,
    close: (e?: Error) => void r.closes.push(e),
  };
  return r;
}

const received = (r: { chunks: Uint8Array[] }): number => r.chunks.reduce((n, c) => n + c.length, 0);

function pair(options: MessagePortTransportOptions = {}) {
  const [pa, pb] = portPair();
  const a = new MessagePortTransport(pa, options);
  const b = new MessagePortTransport(pb, options);
  return { pa, pb, a, b };
}

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

describe('MessagePortTransport', () => {
  it('carries two peers through the real codec: requests both ways, a stream, a notification', async () => {
    const { a, b } = pair();
    const left = new Peer(a, { heartbeatInterval: 0 });
    const right = new Peer(b, { heartbeatInterval: 0 });
    peers.push(left, right);
    right.handlers.handle('echo', (v) => v);
    left.handlers.handle('whoami', () => 'left');
    right.handlers.handleStream('count', async function* () {
      for (let i = 0; i < 20; i++) yield bytes(`part ${i}`);
    });
    let note: unknown;
    left.handlers.onNotification('news', (v) => void (note = v));
    expect(await left.request('echo', { x: 'ü ✓' })).toEqual({ x: 'ü ✓' });
    expect(await right.request('whoami')).toBe('left');
    const parts: string[] = [];
    for await (const p of left.stream('count')) parts.push(str(p));
    expect(parts).toEqual(Array.from({ length: 20 }, (_, i) => `part ${i}`));
    right.notify('news', [1, 2]);
    await waitFor(() => note !== undefined);
    expect(note).toEqual([1, 2]);
    expect(await left.close()).toEqual({ reason: 'closed', error: null });
    expect(await right.closed).toEqual({ reason: 'remote', error: null });
  });

  it('a peer hands its batches over whole (writeOwned), never to be copied', async () => {
    class Counting extends MessagePortTransport {
      owned = 0;
      copied = 0;
      override writeOwned(b: Uint8Array): boolean {
        this.owned++;
        return super.writeOwned(b);
      }
      override write(b: Uint8Array): boolean {
        this.copied++;
        return super.write(b);
      }
    }
    const [pa, pb] = portPair();
    const ta = new Counting(pa);
    const left = new Peer(ta, { heartbeatInterval: 0 });
    const right = new Peer(new MessagePortTransport(pb), { heartbeatInterval: 0 });
    peers.push(left, right);
    right.handlers.handleBytes('echo', (p) => p);
    const payload = new Uint8Array(100 * KiB).fill(9);
    expect((await left.requestBytes('echo', payload)).length).toBe(100 * KiB);
    expect(payload.every((x) => x === 9)).toBe(true); // the application's buffer is untouched
    expect(ta.copied).toBe(0);
    expect(ta.owned).toBeGreaterThanOrEqual(1); // the version and the request, one batch or two
    for (const p of postedOf(pa, 'data')) {
      expect(p.transfer.length).toBe(1);
      expect(p.transfer[0]!.byteLength).toBe(0); // moved, not copied
    }
  });

  it("transfers the peer's batch buffers; write() sends a copy of exactly its bytes and leaves the caller's buffer alone", async () => {
    const { pa, a, b } = pair();
    const rb = recorder();
    b.start(rb);
    a.start(recorder());
    // writeOwned: the buffer itself moves (it is detached here afterwards).
    const batch = Uint8Array.from([1, 2, 3, 4]);
    a.writeOwned(batch);
    expect(pa.posted.at(-1)!.transfer).toEqual([expect.any(ArrayBuffer)]);
    expect(batch.buffer.byteLength).toBe(0);
    // write: a view into a larger buffer the caller keeps using.
    const big = new Uint8Array(1000).fill(7);
    const view = big.subarray(10, 14);
    a.write(view);
    const sent = postedOf(pa, 'data').at(-1)!;
    expect((sent.message as { bytes: Uint8Array }).bytes === view).toBe(false);
    expect(sent.size).toBe(4);
    expect(sent.transfer.length).toBe(1); // the copy moves
    expect(big.buffer.byteLength).toBe(1000);
    expect(big.every((x) => x === 7)).toBe(true);
    // A view handed over is not its whole buffer: copied, not transferred.
    const part = new Uint8Array(16).subarray(0, 8);
    a.writeOwned(part);
    expect(part.buffer.byteLength).toBe(16);
    await waitFor(() => received(rb) === 16);
    expect([...rb.chunks[0]!]).toEqual([1, 2, 3, 4]);
    expect([...rb.chunks[1]!]).toEqual([7, 7, 7, 7]);
  });

  it('stops at the credit window while the receiver is paused, never holds more than two windows there, and drains as it reads', async () => {
    const window = 64 * KiB;
    const { pa, a, b } = pair({ highWaterMark: window });
    const ra = recorder();
    const rb = recorder();
    a.start(ra);
    b.start(rb);
    b.pause();
    const piece = 16 * KiB;
    let writes = 0;
    let sent = 0;
    // A producer that writes until told to stop, as the peer's stream producers do.
    while (a.write(new Uint8Array(piece).fill(writes & 0xff))) {
      writes++;
      sent += piece;
      expect(writes).toBeLessThan(100);
    }
    writes++;
    sent += piece;
    expect(a.bufferedAmount).toBeGreaterThan(window);
    expect(a.bufferedAmount).toBe(sent);
    await delay(30);
    // Posted only while under the window; the rest waits here for credit.
    const posted = postedOf(pa, 'data').reduce((n, p) => n + p.size, 0);
    expect(posted).toBeLessThanOrEqual(window + piece);
    expect(b.queued).toBe(posted);
    expect(received(rb)).toBe(0);
    expect(ra.drains).toBe(0);
    // Reading resumes: acknowledgements come, what was held goes out, and drain follows.
    b.resume();
    await waitFor(() => ra.drains === 1 && received(rb) === sent);
    await waitFor(() => a.bufferedAmount === 0, 'the last acknowledgement', 5000);
    expect(b.queued).toBe(0);
    const all = Buffer.concat(rb.chunks);
    for (let i = 0; i < writes; i++) expect(all[i * piece]).toBe(i & 0xff);
  });

  it('sends a write larger than the window in window-sized pieces', async () => {
    const { pa, a, b } = pair({ highWaterMark: 1000 });
    const rb = recorder();
    a.start(recorder());
    b.start(rb);
    const big = Uint8Array.from({ length: 3500 }, (_, i) => i & 0xff);
    expect(a.write(big)).toBe(false);
    await waitFor(() => received(rb) === 3500);
    const sizes = postedOf(pa, 'data').map((p) => p.size);
    expect(sizes).toEqual([1000, 1000, 1000, 500]);
    expect(Buffer.concat(rb.chunks).equals(Buffer.from(big))).toBe(true);
  });

  it('close() ends after the bytes that wait for credit; both ends close once, cleanly', async () => {
    const { pa, a, b } = pair({ highWaterMark: 100 });
    const ra = recorder();
    const rbRec = recorder();
    a.start(ra);
    // Without an end callback, the other side answers the end with its own at once.
    b.start({ data: rbRec.data, drain: rbRec.drain, close: rbRec.close });
    a.write(new Uint8Array(100).fill(1));
    a.write(new Uint8Array(100).fill(2)); // held: no credit yet
    a.close();
    a.write(new Uint8Array(100).fill(3)); // after close: discarded
    expect(postedOf(pa, 'end')).toEqual([]);
    await waitFor(() => ra.closes.length === 1 && rbRec.closes.length === 1);
    expect(ra.closes).toEqual([undefined]);
    expect(rbRec.closes).toEqual([undefined]);
    expect(received(rbRec)).toBe(200);
    const kinds = pa.posted.map((p) => (p.message as { gotalk: string }).gotalk).filter((k) => k !== 'ack');
    expect(kinds).toEqual(['data', 'data', 'end']);
    await delay(20);
    expect(ra.closes.length).toBe(1);
    expect(rbRec.closes.length).toBe(1);
  });

  it('tells a half-close with end, and closes once this side closes too', async () => {
    const { a, b } = pair();
    const ra = recorder();
    const rb = recorder();
    a.start(ra);
    b.start(rb);
    a.close();
    await waitFor(() => rb.ends === 1);
    expect(rb.closes).toEqual([]);
    b.write(bytes('still answering'));
    b.close();
    await waitFor(() => ra.closes.length === 1 && rb.closes.length === 1);
    expect(str(Buffer.concat(ra.chunks))).toBe('still answering');
    expect([ra.closes[0], rb.closes[0]]).toEqual([undefined, undefined]);
  });

  it('destroy() ends the other side at once with a CLOSED error', async () => {
    const { a, b } = pair();
    const ra = recorder();
    const rb = recorder();
    a.start(ra);
    b.start(rb);
    a.destroy(new Error('enough'));
    expect(ra.closes.length).toBe(1);
    expect(ra.closes[0]?.message).toBe('enough');
    await waitFor(() => rb.closes.length === 1);
    expect(rb.closes[0]).toMatchObject({ code: 'CLOSED', message: 'the other side aborted the connection: enough' });
  });

  it('a port gone before a clean end ends the connection with the given error (CLOSED by default); after the end, it is no error', async () => {
    {
      const { a } = pair();
      const r = recorder();
      a.start(r);
      a.portClosed();
      await waitFor(() => r.closes.length === 1);
      expect(r.closes[0]).toMatchObject({ code: 'CLOSED', message: 'the message port closed before the connection ended' });
    }
    {
      const { a } = pair();
      const r = recorder();
      a.start(r);
      const why = new Error('the worker exited');
      a.portClosed(why);
      a.destroy();
      await waitFor(() => r.closes.length === 1);
      expect(r.closes).toEqual([why]);
    }
    {
      const { a, b } = pair();
      const ra = recorder();
      const rb = recorder();
      a.start(ra);
      b.start(rb);
      b.write(bytes('last words'));
      b.close();
      await waitFor(() => ra.ends === 1);
      a.portClosed(new Error('exited after its end'));
      await waitFor(() => ra.closes.length === 1);
      expect(ra.closes).toEqual([undefined]);
      expect(str(Buffer.concat(ra.chunks))).toBe('last words');
    }
  });

  it('leaves messages that are not its own alone, and peers are unaffected by them', async () => {
    const { pa, pb, a, b } = pair();
    const left = new Peer(a, { heartbeatInterval: 0 });
    const right = new Peer(b, { heartbeatInterval: 0 });
    peers.push(left, right);
    right.handlers.handle('echo', (v) => v);
    for (const m of ['text', 42, null, { type: 'progress' }, new Uint8Array([48, 49]), [1, 2]]) {
      pa.postMessage(m, []);
      pb.postMessage(m, []);
    }
    expect(await left.request('echo', 'fine')).toBe('fine');
    expect(left.open && right.open).toBe(true);
  });

  it.each([
    ['an acknowledgement of more than was sent', { gotalk: 'ack', bytes: 5 }],
    ['an acknowledgement that is not a count', { gotalk: 'ack', bytes: 'many' }],
    ['data without bytes', { gotalk: 'data', bytes: 'text' }],
    ['an unknown kind', { gotalk: 'shutdown' }],
  ])('destroys the connection with PROTOCOL_ERROR on %s, and tells the other side', async (_what, message) => {
    const { pb, a, b } = pair();
    const ra = recorder();
    const rb = recorder();
    a.start(ra);
    b.start(rb);
    pb.postMessage(message, []);
    await waitFor(() => ra.closes.length === 1);
    expect(ra.closes[0]).toMatchObject({ code: 'PROTOCOL_ERROR' });
    await waitFor(() => rb.closes.length === 1);
    expect(rb.closes[0]).toMatchObject({ code: 'CLOSED' });
  });

  it('destroys the connection with PROTOCOL_ERROR on data after the end, and on a sender that ignores its credit', async () => {
    {
      const { pa, a } = pair();
      const r = recorder();
      a.start(r);
      pa.inject({ gotalk: 'end' });
      pa.inject({ gotalk: 'data', bytes: bytes('late') });
      await waitFor(() => r.closes.length === 1);
      expect(r.closes[0]).toMatchObject({ code: 'PROTOCOL_ERROR', message: 'message port: the other side sent data after the end' });
    }
    {
      const { pa, a } = pair({ highWaterMark: 1000 });
      const r = recorder();
      a.start(r);
      a.pause();
      for (let i = 0; i < 5; i++) pa.inject({ gotalk: 'data', bytes: new Uint8Array(900) });
      await waitFor(() => r.closes.length === 1);
      expect(r.closes[0]).toMatchObject({ code: 'PROTOCOL_ERROR' });
      expect(a.queued).toBe(0);
    }
  });

  it('checks its window option', () => {
    const [p] = portPair();
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new MessagePortTransport(p, { highWaterMark: bad })).toThrow(RangeError);
  });
});
