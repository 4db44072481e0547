import type { ConnectResult } from './cases/connect.ts';
import type { EchoResult } from './cases/echo.ts';
import type { StreamResult } from './cases/stream.ts';
import type { Impl, Transport } from './clients/index.ts';

/** A measured figure, or why there is none. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export interface EchoRow {
  /** The case's name in progress lines and in `--only`. */
  readonly id: string;
  /** The headline figure of each round that succeeded (req/s, MB/s, connections/s, bytes). */
  readonly samples: number[];
  readonly transport: Transport;
  readonly impl: Impl;
  readonly size: number;
  readonly inflight: number;
  outcome: Outcome<EchoResult>;
}

export interface StreamRow {
  /** The case's name in progress lines and in `--only`. */
  readonly id: string;
  /** The headline figure of each round that succeeded (req/s, MB/s, connections/s, bytes). */
  readonly samples: number[];
  readonly transport: 'tcp' | 'unix';
  readonly impl: 'raw' | 'gotalk';
  outcome: Outcome<StreamResult>;
}

export interface ConnectRow {
  /** The case's name in progress lines and in `--only`. */
  readonly id: string;
  /** The headline figure of each round that succeeded (req/s, MB/s, connections/s, bytes). */
  readonly samples: number[];
  readonly impl: 'raw' | 'gotalk';
  outcome: Outcome<ConnectResult>;
}

export interface IdleResult {
  readonly connections: number;
  /** heapUsed after GC with the idle connections minus before them, per connection. */
  readonly heapPerConnection: number;
  /** The same for external memory (buffers outside the JS heap), per connection. */
  readonly externalPerConnection: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
}

export interface IdleRow {
  /** The case's name in progress lines and in `--only`. */
  readonly id: string;
  /** The headline figure of each round that succeeded (req/s, MB/s, connections/s, bytes). */
  readonly samples: number[];
  readonly impl: 'raw' | 'gotalk';
  outcome: Outcome<IdleResult>;
}

export interface Measurements {
  readonly echo: EchoRow[];
  readonly stream: StreamRow[];
  readonly connect: ConnectRow[];
  readonly idle: IdleRow[];
}

export const pending = <T>(): Outcome<T> => ({ ok: false, reason: 'not run' });
export const failed = <T>(reason: string): Outcome<T> => ({ ok: false, reason });
