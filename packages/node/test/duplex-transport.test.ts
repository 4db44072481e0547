// DuplexTransport over streams that are not sockets the library made: in-memory duplex pairs
// (the conformance suite), a child process's stdio, and a socket made elsewhere; backpressure.
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DuplexTransport, Peer, type TransportEvents } from '@gotalk/node';

import { childProcesses, tsProcess } from './process-support.ts';

import { workerFixture } from './worker-support.ts';
import { Cleanup, delay, describeTransport, waitFor, within } from '@gotalk/test-kit';

/** Two pipes crossed: what one end writes, the other reads. */
function pipes(highWaterMark?: number): { a: { readable: PassThrough; writable: PassThrough }; b: { readable: PassThrough; writable: PassThrough } } {
  const options = highWaterMark === undefined ? {} : { highWaterMark };
  const ab = new PassThrough(options);
  const ba = new PassThrough(options);
  return { a: { readable: ba, writable: ab }, b: { readable: ab, writable: ba } };
}

describeTransport('stream pair (two PassThrough streams)', async (options) => {
  const { a, b } = pipes();
  const client = new Peer(new DuplexTransport(a), options);
  const serverPeer = new Peer(new DuplexTransport(b), options);
  await Promise.all([client.ready, serverPeer.ready]);
  return {
    client,
    serverPeer,
    handlers: serverPeer.handlers,
    async teardown() {
      client.destroy();
      serverPeer.destroy();
    },
  };
});

describeTransport('Duplex (Duplex.from a pair of pipes)', async (options) => {
  const { a, b } = pipes();
  const client = new Peer(new DuplexTransport(Duplex.from(a)), options);
  const serverPeer = new Peer(new DuplexTransport(Duplex.from(b)), options);
  await Promise.all([client.ready, serverPeer.ready]);
  return {
    client,
    serverPeer,
    handlers: serverPeer.handlers,
    async teardown() {
      client.destroy();
      serverPeer.destroy();
    },
  };
});

describe('DuplexTransport', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("carries a peer over a child process's stdin and stdout, both ways; the whole process tree ends", async () => {
    const child = tsProcess(cleanup, workerFixture('stdio-peer.ts'));
    const peer = new Peer(new DuplexTransport({ readable: child.stdout!, writable: child.stdin! }, { info: { kind: 'stdio', remote: `pid ${child.pid}` } }), {
      heartbeatInterval: 0,
    });
    cleanup.add(() => peer.destroy());
    peer.handlers.handle('whoami', () => 'the parent');
    await within(peer.ready, 15_000, 'the child to start');
    expect(await peer.request('upper', 'über')).toBe('ÜBER');
    expect(await peer.request('pid')).toBe(child.pid);
    expect(await peer.request('ask-parent')).toBe('the parent');
    expect(peer.info).toMatchObject({ kind: 'stdio' });
    // Closing ends the child's stdin; its peer closes, and nothing keeps it running.
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(await peer.close()).toEqual({ reason: 'closed', error: null });
    expect(await within(exited, 10_000, 'the child to exit')).toBe(0);
    expect(childProcesses()).toEqual([]);
  });

  it('a child that dies closes the peer; pending requests fail with CLOSED', async () => {
    const child = tsProcess(cleanup, workerFixture('stdio-peer.ts'));
    const peer = new Peer(new DuplexTransport({ readable: child.stdout!, writable: child.stdin! }), { heartbeatInterval: 0 });
    cleanup.add(() => peer.destroy());
    peer.handlers.handle('whoami', () => new Promise(() => {})); // never answers: the child waits
    await within(peer.ready, 15_000, 'the child to start');
    const pending = peer.request('ask-parent').catch((e: unknown) => e);
    expect(await peer.request('upper', 'still serving')).toBe('STILL SERVING');
    child.kill('SIGKILL');
    expect(await within(peer.closed, 10_000, 'the close')).toMatchObject({ reason: expect.stringMatching(/remote|transport/) });
    expect(await pending).toMatchObject({ code: 'CLOSED' });
  });

  it('serves over a socket made elsewhere, as any Duplex', async () => {
    const accepted: Socket[] = [];
    const server = createServer((s) => accepted.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.add(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as { port: number }).port;
    const socket = netConnect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    await waitFor(() => accepted.length === 1, 'the accepted socket');
    const client = new Peer(new DuplexTransport(socket), { heartbeatInterval: 0 });
    const served = new Peer(new DuplexTransport(accepted[0]!), { heartbeatInterval: 0 });
    cleanup.add(() => (client.destroy(), served.destroy()));
    served.handlers.handle('add', (v) => (v as number[]).reduce((a, b) => a + b, 0));
    expect(await client.request('add', [1, 2, 3])).toBe(6);
    expect(await client.close()).toEqual({ reason: 'closed', error: null });
    expect((await served.closed).reason).toBe('remote');
  });

  it('reports backpressure: a producer stops while the other side does not read, and everything arrives once it does', async () => {
    const hwm = 64 * 1024;
    const { a, b } = pipes(16 * 1024);
    const writer = new DuplexTransport(a, { highWaterMark: hwm });
    const reader = new DuplexTransport(b);
    const got: Uint8Array[] = [];
    let drains = 0;
    const events = (onData: (c: Uint8Array) => void): TransportEvents => ({ data: onData, drain: () => void drains++, close: () => {} });
    writer.start(events(() => {}));
    reader.start(events((c) => void got.push(c)));
    reader.pause();
    let wrote = 0;
    let refused = false;
    for (let i = 0; i < 1000 && !refused; i++) {
      refused = !writer.write(new Uint8Array(8 * 1024).fill(i & 0xff));
      wrote++;
    }
    expect(refused).toBe(true);
    // Stopped at its own mark (plus the pipes' small buffers), not at the end of the loop.
    expect(wrote * 8 * 1024).toBeLessThanOrEqual(hwm + 64 * 1024);
    expect(writer.bufferedAmount).toBeGreaterThanOrEqual(hwm - 8 * 1024);
    await delay(20);
    expect(drains).toBe(0);
    reader.resume();
    await waitFor(() => drains === 1 && got.reduce((n, c) => n + c.length, 0) === wrote * 8 * 1024, 'the drain and every byte');
    const all = Buffer.concat(got);
    for (let i = 0; i < wrote; i++) expect(all[i * 8 * 1024]).toBe(i & 0xff);
    writer.destroy();
    reader.destroy();
  });

  it('a half-close lets the other side still answer, where the stream allows it', async () => {
    const { a, b } = pipes();
    const client = new Peer(new DuplexTransport(a), { heartbeatInterval: 0 });
    const served = new Peer(new DuplexTransport(b), { heartbeatInterval: 0 });
    cleanup.add(() => (client.destroy(), served.destroy()));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    served.handlers.handle('slow', async () => {
      await gate;
      return 'answered after the half-close';
    });
    await Promise.all([client.ready, served.ready]);
    const answer = client.request('slow');
    await delay(20);
    a.writable.end(); // the client finishes sending, but still reads
    await delay(20);
    release();
    expect(await within(answer, 5000, 'the answer')).toBe('answered after the half-close');
    expect((await within(served.closed, 5000, 'the served side to close')).reason).toBe('remote');
  });
});

describe('streams shared between transports', () => {
  /** Events that record what a transport delivered. */
  function recorder(): { events: TransportEvents; got: string[] } {
    const got: string[] = [];
    return {
      got,
      events: {
        data: (chunk) => void got.push(Buffer.from(chunk).toString()),
        drain: () => {},
        close: (error) => void got.push(`close${error ? `: ${error.message}` : ''}`),
      },
    };
  }

  it('one stream may be one transport’s readable side and another’s writable side; each hears only its own', async () => {
    const { a, b } = pipes();
    const ra = recorder();
    const rb = recorder();
    const ta = new DuplexTransport(a);
    const tb = new DuplexTransport(b);
    ta.start(ra.events);
    tb.start(rb.events);
    ta.write(new TextEncoder().encode('to b'));
    tb.write(new TextEncoder().encode('to a'));
    await waitFor(() => ra.got.length > 0 && rb.got.length > 0, 'both deliveries');
    expect(ra.got).toEqual(['to a']);
    expect(rb.got).toEqual(['to b']);
    ta.destroy();
    tb.destroy();
    await waitFor(() => ra.got.includes('close') && rb.got.includes('close'), 'both closes');
  });

  it('a second transport started over the same stream takes it over: the first hears nothing more', async () => {
    const { a, b } = pipes();
    const first = recorder();
    const second = recorder();
    new DuplexTransport(a).start(first.events);
    b.writable.write('one');
    await waitFor(() => first.got.length === 1, 'the first delivery');
    new DuplexTransport(a).start(second.events);
    b.writable.write('two');
    await waitFor(() => second.got.length === 1, 'the second delivery');
    await delay(20);
    expect(first.got).toEqual(['one']);
    expect(second.got).toEqual(['two']);
    a.readable.destroy();
    a.writable.destroy();
  });
});
