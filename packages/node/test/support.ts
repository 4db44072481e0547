// Helpers of the @gotalk/node integration tests that are about Node's transports: the test
// certificates, and raw byte-level connections. What every package's tests share is
// @gotalk/test-kit (and @gotalk/test-kit/node).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import { delay, waitFor, within, type Cleanup } from '@gotalk/test-kit';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

/**
 * The committed test certificates (see fixtures/generate.sh): a CA, a server certificate for
 * 127.0.0.1, ::1 and localhost, and a client certificate (CN=gotalk-test-client) for mutual TLS.
 */
export const certs = {
  ca: fixture('ca.pem'),
  serverCert: fixture('server.pem'),
  serverKey: fixture('server-key.pem'),
  clientCert: fixture('client.pem'),
  clientKey: fixture('client-key.pem'),
};

/** TLS options of a server using the test certificates. */
export const serverTls = { cert: certs.serverCert, key: certs.serverKey };
/** TLS options of a client trusting the test CA. */
export const clientTls = { ca: certs.ca };

/**
 * Leaves stale socket files at `paths`: a child process listens there and is killed with
 * SIGKILL, so nothing unlinks the files and nobody listens on them any more.
 */
export async function staleSocket(cleanup: Cleanup, ...paths: string[]): Promise<void> {
  const script = `let n = 0; for (const p of ${JSON.stringify(paths)}) require('net').createServer().listen(p, () => ++n === ${paths.length} && process.stdout.write('ready\\n'))`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanup.add(() => child.kill('SIGKILL'));
  await within(
    new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`the child exited early (${code})`)));
    }),
    10_000,
    'the child to listen',
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await within(exited, 10_000, 'the child to die');
}

/**
 * A raw byte-level connection to a peer, for replaying exchanges byte by byte: every `write`
 * goes out as its own socket write (TCP/Unix) or its own WebSocket message, and is followed by
 * a short pause so that the pieces arrive separately.
 */
export interface RawConnection {
  /** Everything received so far, in order. */
  readonly received: Buffer;
  /** Each chunk as it arrived: socket `data` events, or WebSocket messages. */
  readonly chunks: readonly Buffer[];
  /** True once the other side closed the connection. */
  readonly ended: boolean;
  /** Resolves when the connection is closed. */
  readonly closed: Promise<void>;
  write(data: string | Uint8Array): Promise<void>;
  /** Writes each piece separately, in order. */
  writeEach(pieces: readonly (string | Uint8Array)[]): Promise<void>;
  /** Waits until `expected.length` bytes arrived, then checks they are exactly `expected` (latin1). */
  expectReceived(expected: string | Uint8Array, timeout?: number): Promise<void>;
  /** Waits until the other side closed the connection. */
  expectClosed(timeout?: number): Promise<void>;
  close(): void;
}

/** A byte string (one byte per char code) or bytes, as a Buffer. */
const asBuffer = (data: string | Uint8Array): Buffer => (typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data));

abstract class RawBase implements RawConnection {
  private readonly parts: Buffer[] = [];
  private total = 0;
  ended = false;
  readonly closed: Promise<void>;
  protected markClosed!: () => void;

  constructor() {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    void this.closed.then(() => (this.ended = true));
  }

  get received(): Buffer {
    return Buffer.concat(this.parts, this.total);
  }

  get chunks(): readonly Buffer[] {
    return this.parts;
  }

  protected receive(chunk: Buffer): void {
    this.parts.push(chunk);
    this.total += chunk.length;
  }

  abstract write(data: string | Uint8Array): Promise<void>;
  abstract close(): void;

  async writeEach(pieces: readonly (string | Uint8Array)[]): Promise<void> {
    for (const p of pieces) await this.write(p);
  }

  async expectReceived(expected: string | Uint8Array, timeout = 5000): Promise<void> {
    const want = asBuffer(expected);
    try {
      await waitFor(() => this.total >= want.length || this.ended, `${want.length} bytes`, timeout);
    } catch {
      // fall through to the comparison, which shows what did arrive
    }
    if (this.total < want.length) await delay(20); // the last bytes may still be in flight at close
    const got = this.received.toString('latin1');
    if (got !== want.toString('latin1')) {
      throw new Error(`received ${JSON.stringify(got)}\n   expected ${JSON.stringify(want.toString('latin1'))}`);
    }
  }

  async expectClosed(timeout = 5000): Promise<void> {
    await within(this.closed, timeout, 'the connection close');
  }
}

class RawSocket extends RawBase {
  constructor(private readonly socket: Socket) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.markClosed());
  }

  async write(data: string | Uint8Array): Promise<void> {
    await new Promise<void>((resolve) => this.socket.write(asBuffer(data), () => resolve()));
    await delay(3);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connects a raw socket to `tcp` `{ host, port }` or a Unix socket `{ path }`. */
export function rawSocket(target: { host: string; port: number } | { path: string }): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(target as { path: string });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(new RawSocket(socket));
    });
  });
}

class RawWebSocket extends RawBase {
  constructor(
    private readonly socket: WebSocket,
    early: readonly Buffer[],
  ) {
    super();
    for (const m of early) this.receive(m);
    socket.on('message', (data: Buffer) => this.receive(Buffer.from(data)));
    socket.on('error', () => {});
    socket.on('close', () => this.markClosed());
  }

  async write(data: string | Uint8Array): Promise<void> {
    await new Promise<void>((resolve, reject) => this.socket.send(asBuffer(data), { binary: true }, (err) => (err ? reject(err) : resolve())));
    await delay(3);
  }

  close(): void {
    this.socket.terminate();
  }
}

/** Opens a raw WebSocket (binary messages; no Origin unless given in `options`). */
export function rawWebSocket(url: string, options: ClientOptions = {}): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, ...options });
    socket.binaryType = 'nodebuffer';
    const received: Buffer[] = [];
    // Messages can arrive right with the upgrade; keep them until the wrapper is made.
    const early = (data: Buffer) => received.push(Buffer.from(data));
    socket.on('message', early);
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
      socket.terminate();
    });
    socket.once('open', () => {
      socket.off('error', reject);
      socket.off('message', early);
      resolve(new RawWebSocket(socket, received));
    });
  });
}

/** Parses `ws://host:port/path` of a server address into what a raw socket needs. */
export function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
}

/** A plain server for tests, with what it holds; see {@link rawServer}. */
export interface RawServer {
  /** `tcp://127.0.0.1:<port>`, or `unix:<path>`. */
  readonly address: string;
  /** The TCP port (0 on a Unix socket). */
  readonly port: number;
  /** The connections open now. */
  readonly sockets: Set<Socket>;
  /** Every chunk read, of every connection, in order. */
  readonly received: Buffer[];
}

/**
 * A plain (not Gotalk) server on 127.0.0.1, or on the Unix socket `path`, stopped by `cleanup`
 * (its connections destroyed); `onSocket` decides what to do with each connection. Records what
 * arrives and which connections are open.
 */
export async function rawServer(cleanup: Cleanup, onSocket: (socket: Socket) => void = () => {}, path?: string): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const received: Buffer[] = [];
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => (path === undefined ? server.listen(0, '127.0.0.1', resolve) : server.listen(path, resolve)));
  cleanup.add(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const port = path === undefined ? (server.address() as AddressInfo).port : 0;
  return { address: path === undefined ? `tcp://127.0.0.1:${port}` : `unix:${path}`, port, sockets, received };
}
