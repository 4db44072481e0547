import type { ConnectCase, ConnectImpl, ConnectLink, ConnectResult } from './cases/connect.ts';
import type { EchoResult } from './cases/echo.ts';
import type { StreamResult } from './cases/stream.ts';
import type { Impl, Transport } from './clients/index.ts';

/** A measured figure, or why there is none. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** One case: its outcome in each pass (index 0 is pass 1), so that cases of the same pass pair up. */
export interface Row<T> {
  /** The case's name in progress lines and in `--only`. */
  readonly id: string;
  readonly passes: Outcome<T>[];
}

export interface EchoRow extends Row<EchoResult> {
  readonly transport: Transport;
  readonly impl: Impl;
  readonly size: number;
  readonly inflight: number;
}

/** What the stream case compares: a raw byte echo, Gotalk's `stream()`, a gRPC bidirectional stream. */
export type StreamImpl = 'raw' | 'gotalk' | 'grpc';

export interface StreamRow extends Row<StreamResult> {
  readonly transport: 'tcp' | 'unix';
  readonly impl: StreamImpl;
}

export interface ConnectRow extends Row<ConnectResult> {
  /** Connect and close, or connect, one request and close. */
  readonly case: ConnectCase;
  readonly link: ConnectLink;
  readonly impl: ConnectImpl;
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

export interface IdleRow extends Row<IdleResult> {
  readonly impl: 'raw' | 'gotalk';
}

export interface Measurements {
  readonly echo: EchoRow[];
  readonly stream: StreamRow[];
  readonly connect: ConnectRow[];
  readonly idle: IdleRow[];
}

export const failed = <T>(reason: string): Outcome<T> => ({ ok: false, reason });

/** The values of the passes that succeeded. */
export const okValues = <T>(row: Row<T>): T[] => row.passes.flatMap((o) => (o.ok ? [o.value] : []));

/** Why a row has no figure: the first failure's reason, or `not run`. */
export const whyNot = <T>(row: Row<T>): string => row.passes.find((o): o is { ok: false; reason: string } => !o.ok)?.reason ?? 'not run';
