import { Socket } from 'node:net';
import { isMainThread, parentPort } from 'node:worker_threads';
import { DEFAULTS, msOption, Peer, type Transport } from '@gotalk/peer';
import { DuplexTransport } from '../duplex-transport.ts';
import { NodeError } from '../errors.ts';
import { threadTransport } from '../thread-transport.ts';
import { ControlWriter, PARENT_FDS_VARIABLE } from './control.ts';
import { peerOptionsOf, type SpawnOptions } from './spawned-peer.ts';
import { VersionGate } from './version-gate.ts';

/** Options of {@link connectToParent}: the peer's, how long the handshake may take (`connectTimeout`), and the high-water mark. */
export type ConnectToParentOptions = SpawnOptions;

/** The child's transport over fd 3: it tells the parent, on fd 4, that its end is on purpose. */
class ParentSocketTransport extends DuplexTransport {
  constructor(
    socket: Socket,
    private readonly control: ControlWriter,
    highWaterMark: number | undefined,
  ) {
    super(socket, { info: { kind: 'process', remote: 'parent' }, ...(highWaterMark !== undefined ? { highWaterMark } : {}) });
  }

  override close(): void {
    this.control.bye();
    super.close();
  }

  override destroy(error?: Error): void {
    this.control.bye();
    super.destroy(error);
  }
}

/** The transport to the parent, or null when this program has none it knows of. */
function parentTransport(options: ConnectToParentOptions): Transport | null {
  const highWaterMark = options.highWaterMark;
  const hwm = highWaterMark !== undefined ? { highWaterMark } : {};
  if (!isMainThread && parentPort) return threadTransport(parentPort, { info: { kind: 'thread', remote: 'parent' }, ...hwm });
  const fds = process.env[PARENT_FDS_VARIABLE];
  if (fds === undefined) return null;
  // Ours alone: a process this one starts must not take the parent's fds for its own.
  delete process.env[PARENT_FDS_VARIABLE];
  const m = /^(\d+),(\d+)$/.exec(fds);
  if (!m) throw new NodeError('NO_PARENT', `${PARENT_FDS_VARIABLE} must be "data,control" fds, got ${JSON.stringify(fds)}`);
  const control = new ControlWriter(Number(m[2]));
  // What ends this process uncaught is told to the parent before the process dies.
  process.on('uncaughtExceptionMonitor', (err) => control.error(err));
  const socket = new Socket({ fd: Number(m[1]), readable: true, writable: true, allowHalfOpen: true });
  return new ParentSocketTransport(socket, control, highWaterMark);
}

let connecting: Promise<Peer> | null = null;

/**
 * In a worker thread started by `spawnWorker` (or any `Worker`), or a child process started by
 * `spawnProcess`: connects to the parent and resolves with the ready {@link Peer} once the
 * handshake completed. Once per program: later calls return the same peer. What the parent
 * sends after the handshake is read from the turn after this resolves, so handlers registered
 * right after `await connectToParent()` (or given in `options.handlers`) see its first request.
 *
 * The peer closes when the parent closes it or goes away. In a thread, other messages on
 * `parentPort` are left to the application. In a child process, an uncaught error is reported
 * to the parent before the process dies (the parent's `WORKER_EXITED` error has it as `cause`).
 * Rejects with `NO_PARENT` in a program that has no parent to connect to, `CONNECT_TIMEOUT`
 * when the handshake takes over `connectTimeout` ms, `CONNECT_FAILED` when the parent closes
 * first, or a RangeError naming a bad option.
 */
export function connectToParent(options: ConnectToParentOptions = {}): Promise<Peer> {
  return (connecting ??= open(options));
}

async function open(options: ConnectToParentOptions): Promise<Peer> {
  const peerOptions = peerOptionsOf(options, []);
  const timeout = msOption(options.connectTimeout, DEFAULTS.connectTimeout, 'connectTimeout');
  const transport = parentTransport(options);
  if (!transport)
    throw new NodeError('NO_PARENT', 'this program has no parent to connect to: it was not started by spawnWorker or spawnProcess, nor in a worker thread');
  const gate = new VersionGate(transport);
  const peer = new Peer(gate, peerOptions);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    if (timeout > 0)
      timer = setTimeout(() => reject(new NodeError('CONNECT_TIMEOUT', `the parent did not complete the handshake within ${timeout} ms`)), timeout);
  });
  try {
    await Promise.race([peer.ready, deadline]);
    // Handlers registered right after `await connectToParent()` are in place before the first request is read.
    setImmediate(() => gate.release());
    return peer;
  } catch (err) {
    peer.destroy();
    if (err instanceof NodeError) throw err;
    throw new NodeError('CONNECT_FAILED', `the parent closed the connection during the handshake: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
