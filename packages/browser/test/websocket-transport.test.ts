// The WebSocket transport on a scripted socket: messages read as one byte stream split
// anywhere, text messages, pause/resume holding messages, bufferedAmount backpressure, close.
import { describe, expect, it } from 'vitest';
import { BrowserError, Peer, text, utf8, WebSocketTransport, type TransportEvents, type WebSocketEventLike, type WebSocketLike } from '@gotalk/browser';
import { delay } from '@gotalk/test-kit';

/** A socket driven by the test: `receive()` plays a message, `sent` collects what was sent. */
class ScriptedSocket implements WebSocketLike {
  binaryType = 'blob';
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: Uint8Array[] = [];
  closedWith: number | undefined;
  private readonly listeners = new Map<string, ((e: WebSocketEventLike) => void)[]>();

  send(data: Uint8Array): void {
    this.sent.push(data);
  }
  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 2;
  }
  addEventListener(type: string, listener: (e: WebSocketEventLike) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  receive(data: string | Uint8Array): void {
    const payload = typeof data === 'string' ? data : data.slice().buffer;
    for (const l of this.listeners.get('message') ?? []) l({ type: 'message', data: payload });
  }
  closeFromServer(code: number): void {
    this.readyState = 3;
    for (const l of this.listeners.get('close') ?? []) l({ type: 'close', code, reason: '' });
  }
}

/** Records what a transport delivers. */
function sink(): TransportEvents & { chunks: string[]; drains: number; closes: (Error | undefined)[] } {
  const s = {
    chunks: [] as string[],
    drains: 0,
    closes: [] as (Error | undefined)[],
    data: (chunk: Uint8Array) => void s.chunks.push(text(chunk)),
    drain: () => void s.drains++,
    close: (error?: Error) => void s.closes.push(error),
  };
  return s;
}

describe('WebSocketTransport', () => {
  it('sets binaryType to arraybuffer and reads binary and text messages as bytes', () => {
    const socket = new ScriptedSocket();
    const t = new WebSocketTransport(socket, { kind: 'ws' });
    expect(socket.binaryType).toBe('arraybuffer');
    const s = sink();
    t.start(s);
    socket.receive(utf8('01'));
    socket.receive('R0001');
    expect(s.chunks).toEqual(['01', 'R0001']);
  });

  it('feeds a peer replies split at every byte, multi-byte UTF-8 included', async () => {
    const socket = new ScriptedSocket();
    const peer = new Peer(new WebSocketTransport(socket, { kind: 'ws' }), { heartbeatInterval: 0 });
    const answer = peer.request('echo', 'ü😀');
    await delay(0);
    // One message per batch: the version and the request together; the size counts UTF-8 bytes (1+2+4+1).
    expect(socket.sent.map(text)).toEqual(['01r\u0000\u0000\u0000\u0000004echo00000008"ü😀"']);
    const reply = utf8('01R\u0000\u0000\u0000\u000000000008"ü😀"');
    for (let i = 0; i < reply.length; i++) socket.receive(reply.subarray(i, i + 1));
    expect(await answer).toBe('ü😀');
    peer.destroy();
  });

  it('holds messages while paused and delivers them on resume, in order', async () => {
    const socket = new ScriptedSocket();
    const t = new WebSocketTransport(socket, { kind: 'ws' });
    const s = sink();
    t.start(s);
    t.pause();
    socket.receive('a');
    socket.receive('b');
    expect(s.chunks).toEqual([]);
    t.resume();
    socket.receive('c'); // still held until the resume runs: order is kept
    await delay(0);
    expect(s.chunks).toEqual(['a', 'b', 'c']);
    socket.receive('d');
    expect(s.chunks).toEqual(['a', 'b', 'c', 'd']);
  });

  it('holds at most maxHeld bytes while paused, counting what resume delivered, then ends with READ_BACKLOG', async () => {
    const socket = new ScriptedSocket();
    const t = new WebSocketTransport(socket, { kind: 'ws' }, undefined, 10);
    const s = sink();
    t.start(s);
    t.pause();
    socket.receive('12345');
    socket.receive('67890'); // 10 bytes held: at the bound, still held
    expect(s.closes).toEqual([]);
    t.resume();
    await delay(0);
    expect(s.chunks).toEqual(['12345', '67890']);
    t.pause(); // delivered bytes no longer count
    socket.receive('abcdefghij');
    expect(s.closes).toEqual([]);
    socket.receive('k'); // 11 bytes held
    expect(socket.closedWith).toBe(4000);
    expect(s.closes).toHaveLength(1);
    expect(s.closes[0]).toBeInstanceOf(BrowserError);
    expect(s.closes[0]).toMatchObject({ code: 'READ_BACKLOG' });
    t.resume();
    socket.receive('late');
    await delay(0);
    expect(s.chunks).toEqual(['12345', '67890']); // what was held is dropped with the connection
  });

  it('counts only what is still held when the peer pauses again while resuming', async () => {
    const socket = new ScriptedSocket();
    const t = new WebSocketTransport(socket, { kind: 'ws' }, undefined, 10);
    const s = { ...sink(), data: (chunk: Uint8Array) => void (s.chunks.push(text(chunk)), s.chunks.length === 1 && t.pause()) };
    t.start(s);
    t.pause();
    socket.receive('12345');
    socket.receive('6789');
    t.resume();
    await delay(0); // delivers '12345', which pauses again: '6789' stays held (4 bytes)
    expect(s.chunks).toEqual(['12345']);
    socket.receive('abcdef'); // 10 held
    expect(s.closes).toEqual([]);
    socket.receive('g');
    expect(s.closes[0]).toMatchObject({ code: 'READ_BACKLOG' });
  });

  it('delivers held messages before the close, and reports abnormal close codes as errors', () => {
    const socket = new ScriptedSocket();
    const t = new WebSocketTransport(socket, { kind: 'ws' });
    const s = sink();
    t.start(s);
    t.pause();
    socket.receive('last words');
    socket.closeFromServer(1006);
    expect(s.chunks).toEqual(['last words']);
    expect(s.closes).toHaveLength(1);
    expect(s.closes[0]?.message).toMatch(/1006/);

    for (const code of [1000, 1001, 1005, 1012]) {
      const clean = new ScriptedSocket();
      const cs = sink();
      new WebSocketTransport(clean, { kind: 'ws' }).start(cs);
      clean.closeFromServer(code);
      expect(cs.closes).toEqual([undefined]);
    }
  });

  it('reports backpressure from bufferedAmount and drains once it falls below half the mark', async () => {
    const socket = new ScriptedSocket();
    const t = new WebSocketTransport(socket, { kind: 'ws' }, 100);
    const s = sink();
    t.start(s);
    expect(t.write(new Uint8Array(10))).toBe(true);
    socket.bufferedAmount = 150;
    expect(t.write(new Uint8Array(10))).toBe(false);
    await delay(30);
    expect(s.drains).toBe(0);
    socket.bufferedAmount = 60; // under the mark, not under half of it
    await delay(30);
    expect(s.drains).toBe(0);
    socket.bufferedAmount = 40;
    await delay(40);
    expect(s.drains).toBe(1);
  });

  it('closes with 1000, destroys with 4000 and reports the close at once', () => {
    const a = new ScriptedSocket();
    new WebSocketTransport(a, { kind: 'ws' }).close();
    expect(a.closedWith).toBe(1000);
    const b = new ScriptedSocket();
    const t = new WebSocketTransport(b, { kind: 'ws' });
    const s = sink();
    t.start(s);
    const boom = new Error('boom');
    t.destroy(boom);
    expect(b.closedWith).toBe(4000);
    expect(s.closes).toEqual([boom]);
    b.closeFromServer(4000);
    expect(s.closes).toHaveLength(1);
  });
});
