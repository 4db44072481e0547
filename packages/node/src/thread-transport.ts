import type { MessagePort, Worker } from 'node:worker_threads';
import { MessagePortTransport, type MessageEventLike, type MessagePortLike, type MessagePortTransportOptions } from '@gotalk/peer';
import { WorkerExitedError } from './worker-exit.ts';

/** Options of {@link threadTransport}: the credit window, `info` (default `{ kind: 'thread' }`), `closeGrace`. */
export type ThreadTransportOptions = MessagePortTransportOptions;

type Endpoint = Worker | MessagePort;

/** A Node `Worker` or `MessagePort` as the structural port `MessagePortTransport` takes. */
function portOf(endpoint: Endpoint): MessagePortLike {
  const wrapped = new Map<(event: MessageEventLike) => void, (data: unknown) => void>();
  return {
    postMessage: (message, transfer) => endpoint.postMessage(message, transfer),
    addEventListener: (_type, listener) => {
      const onMessage = (data: unknown) => listener({ data });
      wrapped.set(listener, onMessage);
      endpoint.on('message', onMessage);
    },
    removeEventListener: (_type, listener) => {
      const onMessage = wrapped.get(listener);
      if (!onMessage) return;
      wrapped.delete(listener);
      endpoint.off('message', onMessage);
    },
  };
}

function isWorker(endpoint: Endpoint): endpoint is Worker {
  return 'terminate' in endpoint;
}

/**
 * A {@link MessagePortTransport} over a worker thread: the parent's `Worker`, or in the worker
 * `parentPort` (any `MessagePort` too, such as one end of a `MessageChannel`). Other messages on
 * the same port are left to the application. The port stops holding the thread open once the
 * connection is closed.
 *
 * A `Worker` that exits before the connection closed cleanly ends it with `WORKER_EXITED`
 * (a {@link WorkerExitedError}: the exit code, and the uncaught error that ended it as `cause`);
 * a `MessagePort` that closes ends it with `CLOSED`. A message the port could not deserialize
 * destroys the connection (bytes were lost).
 */
export function threadTransport(endpoint: Endpoint, options: ThreadTransportOptions = {}): MessagePortTransport {
  const transport = new MessagePortTransport(portOf(endpoint), { info: { kind: 'thread' }, ...options });
  endpoint.on('messageerror', (err: Error) => transport.destroy(err));
  if (isWorker(endpoint)) {
    const who = `worker thread ${endpoint.threadId}`;
    let uncaught: Error | null = null;
    endpoint.on('error', (err: Error) => (uncaught = err));
    // Node delivers every message the worker posted before 'exit'.
    endpoint.once('exit', (exitCode: number) => transport.portClosed(new WorkerExitedError(who, { exitCode, signal: null, error: uncaught })));
  } else {
    endpoint.once('close', () => transport.portClosed());
  }
  return transport;
}
