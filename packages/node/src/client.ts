import { Client, type ClientOptions } from '@gotalk/peer';
import { parseAddress } from './address.ts';
import type { ConnectOptions } from './connect.ts';
import { dial, type DialOptions } from './dial.ts';
import { checkUnixPath } from './unix-socket.ts';

/** How to reach the other side on one attempt: an address, with what may change between attempts (a fresh token in `headers`, say). */
export interface DialTarget extends Omit<DialOptions, 'maxPayload'> {
  readonly address: string;
}

/**
 * Where a reconnecting client connects: an address, or a function called for every attempt
 * that gives one (or a {@link DialTarget}) afresh: service discovery, a new token.
 */
export type AddressSource = string | (() => string | DialTarget | Promise<string | DialTarget>);

/** Options of {@link connectClient}: those of every reconnecting client, plus how to reach the other side. */
export interface ClientConnectOptions extends ClientOptions, Pick<ConnectOptions, 'tls' | 'origin' | 'headers' | 'splitMessages' | 'allowHalfOpen'> {}

/**
 * Connects to `address` (any kind: `tcp://`, `tls://`, `unix:`, `ws://`, `wss://`) and keeps
 * connected: the same reconnecting `Client` as the browser's, with its options, events and
 * semantics (handlers kept across connections, requests made while disconnected queued, backoff
 * with jitter, `connectTimeout` covering the handshake). Returns at once. Throws `BAD_ADDRESS`
 * for an address given as a string that does not parse, and RangeError naming a bad option; an
 * address from a function that does not parse fails that attempt (and the next is tried).
 */
export function connectClient(address: AddressSource, options: ClientConnectOptions = {}): Client {
  const { tls, origin, headers, splitMessages, allowHalfOpen, ...clientOptions } = options;
  const fixed = { tls, origin, headers, splitMessages, allowHalfOpen, maxPayload: clientOptions.limits?.maxPayload };
  if (typeof address === 'string') {
    const parsed = parseAddress(address);
    if (parsed.kind === 'unix') checkUnixPath(parsed.path);
  }
  return new Client(async (signal) => {
    const target = typeof address === 'function' ? await address() : address;
    const { address: where, ...perAttempt } = typeof target === 'string' ? { address: target } : target;
    return dial(parseAddress(where), { ...fixed, ...perAttempt }, signal);
  }, clientOptions);
}
