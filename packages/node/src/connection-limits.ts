import type { Socket } from 'node:net';
import { NodeError } from './errors.ts';

/** The defaults of a server's connection caps. */
export const DEFAULT_CONNECTION_LIMITS = {
  /** Connections open at once on one server, all listeners together. */
  maxConnections: 4096,
  /** Connections open at once from one remote IP address (Unix sockets have none and are not counted by it). */
  maxConnectionsPerAddress: 256,
} as const;

/** Where a counted socket keeps the remote address it was counted under. */
const ADDRESS = Symbol('gotalk.countedAddress');
type Counted = Socket & { [ADDRESS]?: string };

/** A 'close' listener for any counted socket: calls `release` with the address on the socket it is called on. */
function onClose(release: (address: string | undefined) => void): (this: Counted) => void {
  return function (this: Counted) {
    release(this[ADDRESS]);
  };
}

/**
 * Counts a server's open connections, overall and per remote address, and refuses one past
 * either cap before any Gotalk byte is read. A connection is counted from its acceptance until
 * its socket closes, whatever happens in between (an accept hook, a WebSocket upgrade).
 */
export class ConnectionLimits {
  #open = 0;
  readonly #perAddress = new Map<string, number>();
  /** Every counted socket's 'close' listener: one function, which finds the address on the socket, not a closure each. */
  readonly #closed: (this: Counted) => void;

  constructor(
    readonly maxConnections: number,
    readonly maxPerAddress: number,
  ) {
    this.#closed = onClose((address) => this.#release(address));
  }

  /** Connections counted now. */
  get open(): number {
    return this.#open;
  }

  /**
   * Counts `socket` if it is within the caps and returns null, or returns the error that says
   * which cap it is past (`CONNECTION_LIMIT`, `ADDRESS_LIMIT`); `address` is its remote IP, if any.
   */
  admit(socket: Socket, address: string | undefined): NodeError | null {
    if (this.#open >= this.maxConnections) {
      return new NodeError('CONNECTION_LIMIT', `refused a connection: ${this.#open} are open, the most this server allows (maxConnections)`);
    }
    const n = address === undefined ? 0 : (this.#perAddress.get(address) ?? 0);
    if (address !== undefined && n >= this.maxPerAddress) {
      return new NodeError('ADDRESS_LIMIT', `refused a connection from ${address}: ${n} are open from there, the most allowed (maxConnectionsPerAddress)`);
    }
    this.#open++;
    if (address !== undefined) {
      this.#perAddress.set(address, n + 1);
      (socket as Counted)[ADDRESS] = address;
    }
    socket.on('close', this.#closed); // a socket closes once
    return null;
  }

  #release(address: string | undefined): void {
    this.#open--;
    if (address === undefined) return;
    const n = (this.#perAddress.get(address) ?? 1) - 1;
    if (n > 0) this.#perAddress.set(address, n);
    else this.#perAddress.delete(address);
  }
}
