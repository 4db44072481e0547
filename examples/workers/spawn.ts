// Starting workers and reaching the parent from inside one, local to this example until
// @gotalk/node has its own helpers: a worker thread over its message channel (PortTransport), a
// child process over an extra pipe (fd 3, a Unix socketpair, through the library's
// SocketTransport) so that its stdout and stderr stay free for logs. Each start resolves with a
// ready Peer; the worker's exit closes that peer, with a reason naming the exit code or signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { ClosedError, Peer, SocketTransport, type PeerOptions } from '@gotalk/node';
import { PortTransport } from './port-transport.ts';

/** The fd a child process started by {@link startProcess} finds its parent on. */
const PARENT_FD = 3;
const FD_ENV = 'GOTALK_PARENT_FD';

/**
 * A thread does not inherit the module loader hooks of the thread that starts it: a TypeScript
 * module (this example runs under tsx) is loaded by a small bootstrap that registers tsx first.
 */
function threadEntry(module: URL): { readonly entry: string | URL; readonly eval: boolean } {
  if (!module.pathname.endsWith('.ts')) return { entry: module, eval: false };
  const api = import.meta.resolve('tsx/esm/api');
  return { entry: `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); })`, eval: true };
}

/** Starts `module` in a worker thread; resolves with the peer to it once its handshake is done. */
export async function startThread(module: URL, options: PeerOptions = {}, argv: readonly string[] = []): Promise<Peer> {
  const { entry, eval: isEval } = threadEntry(module);
  const worker = new Worker(entry, { argv: [...argv], eval: isEval });
  const transport = new PortTransport(worker, { kind: 'thread', remote: `thread:${worker.threadId}` });
  let failure: Error | undefined;
  worker.on('error', (err) => (failure = err));
  worker.on('exit', (code) => {
    const why = failure ? `the thread failed: ${failure.message}` : `the thread exited with code ${code}`;
    transport.ended(failure || code !== 0 ? new ClosedError(why, failure) : undefined);
  });
  const peer = new Peer(transport, options);
  void peer.closed.then(() => worker.terminate());
  await peer.ready;
  return peer;
}

/** A worker process and the peer to it. */
export interface StartedProcess {
  readonly peer: Peer;
  readonly child: ChildProcess;
}

/**
 * Starts `module` in a child process (with this process's Node flags, so a TypeScript module
 * runs as it does here); resolves once the handshake over fd 3 is done. Its stdout and stderr
 * are this process's.
 */
export async function startProcess(module: URL, options: PeerOptions = {}, argv: readonly string[] = []): Promise<StartedProcess> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(module), ...argv], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [FD_ENV]: String(PARENT_FD) },
  });
  const socket = child.stdio[PARENT_FD] as Socket;
  const transport = new SocketTransport(socket, { kind: 'pipe', remote: `pid:${child.pid}` });
  child.on('exit', (code, signal) => {
    // Usually the pipe has closed already; if not, this is why it does.
    socket.destroy(new ClosedError(signal ? `the process was killed by ${signal}` : `the process exited with code ${code}`));
  });
  const peer = new Peer(transport, options);
  void peer.closed.then(() => {
    if (child.exitCode === null && child.signalCode === null) setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
  try {
    await peer.ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { peer, child };
}

/** True when this program runs as a worker started by {@link startThread} or {@link startProcess}. */
export function startedByParent(): boolean {
  return (!isMainThread && parentPort !== null) || process.env[FD_ENV] !== undefined;
}

/**
 * Inside a worker started by {@link startThread} or {@link startProcess}: the peer to the
 * parent. The worker ends when that connection does.
 */
export function connectToParent(options: PeerOptions = {}): Peer {
  if (!isMainThread && parentPort) {
    const port = parentPort;
    const transport = new PortTransport(port, { kind: 'thread', remote: 'parent' });
    const peer = new Peer(transport, options);
    port.once('close', () => transport.ended());
    void peer.closed.then(() => port.close());
    return peer;
  }
  const fd = Number(process.env[FD_ENV]);
  if (!Number.isInteger(fd)) throw new Error('not started by startThread() or startProcess()');
  const socket = new Socket({ fd, readable: true, writable: true });
  return new Peer(new SocketTransport(socket, { kind: 'pipe', remote: 'parent' }), options);
}
