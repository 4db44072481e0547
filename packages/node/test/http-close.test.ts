// Closing a server that made its own HTTP server (ws:// addresses) ends that server's HTTP
// connections too: an idle keep-alive one at once, one whose response finishes during the close
// right after, and one whose client never finishes its request after the close grace. Before,
// a half-sent request held `close()` until the HTTP server's headers timeout (a minute).
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, listen, type Server } from '@gotalk/node';
import { DEFAULTS } from '@gotalk/peer';
import { Cleanup, within } from '@gotalk/test-kit';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function wsServer(): Promise<{ server: Server; port: number }> {
  const server = await listen(['ws://127.0.0.1:0/gotalk/']);
  cleanup.add(() => server.close());
  return { server, port: Number(new URL(server.addresses[0]!).port) };
}

/** A raw TCP client that has sent `text`; `ended` resolves when the server closes it. */
function rawClient(port: number, text: string): { socket: Socket; ended: Promise<void>; received: () => string } {
  const socket = netConnect(port, '127.0.0.1');
  cleanup.add(() => void socket.destroy());
  let got = '';
  socket.on('data', (d) => (got += d.toString('latin1')));
  socket.on('error', () => {});
  socket.write(text);
  return { socket, ended: new Promise((resolve) => socket.once('close', () => resolve())), received: () => got };
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
};

describe("a server's close and its own HTTP connections", () => {
  it('ends an idle keep-alive connection at once, and a half-sent request after the close grace', async () => {
    const { server, port } = await wsServer();
    const idle = rawClient(port, 'GET /gotalk/gotalk.js HTTP/1.1\r\nHost: t\r\n\r\n');
    await until(() => idle.received().startsWith('HTTP/1.1 200'));
    const stuck = rawClient(port, 'GET /gotalk/ HTTP/1.1\r\nHost: t\r\n'); // never finished
    const peer = await connect(`ws://127.0.0.1:${port}/gotalk/`);
    cleanup.add(() => peer.destroy());
    await new Promise((r) => setTimeout(r, 100));

    const started = performance.now();
    const closed = server.close();
    await within(idle.ended, 2000, 'the idle keep-alive connection ending');
    await within(peer.closed, 10_000, 'the WebSocket peer closing');
    // The headers timeout is a minute: well inside it, the close is done.
    await within(closed, 3 * DEFAULTS.closeGrace, 'the close');
    await within(stuck.ended, 1000, 'the half-sent request ending');
    expect(performance.now() - started).toBeGreaterThanOrEqual(DEFAULTS.closeGrace * 0.9); // it waited for the grace
  }, 30_000);

  it('ends a keep-alive connection right after the response it was busy with at the close', async () => {
    const { server, port } = await wsServer();
    // Busy at the close: the request's last line arrives after close() began.
    const busy = rawClient(port, 'GET /gotalk/gotalk.js HTTP/1.1\r\nHost: t\r\n');
    await new Promise((r) => setTimeout(r, 100));
    const closed = server.close();
    busy.socket.write('\r\n');
    await within(busy.ended, 2000, 'the connection ending after its response');
    expect(busy.received()).toMatch(/^HTTP\/1\.1 200/);
    await within(closed, 2000, 'the close');
  }, 30_000);
});
