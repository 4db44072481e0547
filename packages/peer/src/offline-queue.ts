import { AbortedError, ClientError, ClosedError } from './errors.ts';
import type { Peer } from './peer.ts';

interface Waiter {
  resolve(peer: Peer): void;
  reject(error: Error): void;
}

/**
 * Requests made while disconnected, waiting for the next connection: at most `limit` of them
 * (more fail with `QUEUE_FULL`), each for at most `timeout` ms (then `QUEUE_TIMEOUT`; 0 waits
 * without a limit). They are released in the order they came.
 */
export class OfflineQueue {
  #waiters: Waiter[] = [];

  readonly #limit: number;
  readonly #timeout: number;

  constructor(limit: number, timeout: number) {
    this.#limit = limit;
    this.#timeout = timeout;
  }

  /** Why a request cannot wait now, or null when it can. */
  refusal(): Error | null {
    return this.#waiters.length >= this.#limit ? new ClientError('QUEUE_FULL', `${this.#limit} requests already wait for a connection`) : null;
  }

  /** Resolves with the next connection's peer; rejects on timeout, on `signal` or when the queue is failed. */
  wait(signal: AbortSignal | undefined): Promise<Peer> {
    const refused = this.refusal() ?? (signal?.aborted ? new AbortedError(signal.reason) : null);
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => {
      const timer =
        this.#timeout > 0 ? setTimeout(() => fail(new ClientError('QUEUE_TIMEOUT', `no connection within ${this.#timeout} ms`)), this.#timeout) : undefined;
      const abort = () => fail(new AbortedError(signal!.reason));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
      };
      const fail = (error: Error) => {
        done();
        reject(error);
      };
      const waiter: Waiter = {
        resolve: (peer) => {
          done();
          resolve(peer);
        },
        reject: fail,
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Hands `peer` to every waiting request, oldest first. */
  release(peer: Peer): void {
    for (const w of [...this.#waiters]) w.resolve(peer);
  }

  /** Fails every waiting request (the client closed). */
  fail(error: Error = new ClosedError('the client is closed')): void {
    for (const w of [...this.#waiters]) w.reject(error);
  }
}
