// Byte-level clients of the demo, for its load check and tests: a hand-made WebSocket upgrade,
// masked frames, and a page that says hello and then stops reading.
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';

/** A connected TCP socket, or null when connecting failed. */
export function tcpSocket(host: string, port: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = netConnect(port, host, () => resolve(socket));
    socket.once('error', () => resolve(null));
  });
}

/** A socket past a WebSocket upgrade at `url`, or null when the server refused or failed. */
export async function upgrade(url: URL): Promise<Socket | null> {
  const socket = await tcpSocket(url.hostname, Number(url.port));
  if (!socket) return null;
  socket.write(
    `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  return new Promise((resolve) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      if (!head.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        return resolve(null);
      }
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
    socket.once('close', () => resolve(null));
  });
}

/** A masked binary WebSocket frame holding `payload` (a client's frames are masked). */
export function wsFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x82, 0x80 | n]) : Buffer.from([0x82, 0x80 | 126, n >> 8, n & 0xff]);
  const mask = randomBytes(4);
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, mask, body]);
}

/** `n` in `width` lowercase hex digits. */
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** The version and a `hello` request (id `0001`) as `name`: what a page sends first. */
export function helloFrames(name: string): Buffer {
  const hello = JSON.stringify({ name });
  return Buffer.from(`01r0001005hello${hex(Buffer.byteLength(hello), 8)}${hello}`);
}

/**
 * Reads until the answer to the hello (`R0001`) arrives, then stops reading for good: the socket
 * is paused, so what the server sends waits in its buffers. Resolves false if the socket closed first.
 */
export function stopAfterHello(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString('latin1');
      if (!seen.includes('R0001')) return;
      socket.off('data', onData);
      socket.pause();
      resolve(true);
    };
    socket.on('data', onData).resume();
    socket.once('close', () => resolve(false));
  });
}
