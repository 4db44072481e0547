import type { ConnectCase, ConnectImpl } from './cases/connect.ts';
import type { Impl, Transport } from './clients/index.ts';
import type { StreamImpl } from './results.ts';

/** What a client process is started for (passed as JSON on its command line). */
export type Job =
  /** Runs the commands the runner sends, one at a time, until it is killed. */
  | { readonly kind: 'commands' }
  | { readonly kind: 'idle'; readonly impl: 'gotalk' | 'raw'; readonly address: string; readonly count: number; readonly warm: number };

/**
 * A command to a `commands` client process; it answers each with `result` (and the figures) or
 * `failed` (and a message). `open` opens the process's one echo connection and warms it up;
 * `echo` measures on it; `stream` and `connect` open connections of their own.
 */
export type Command =
  | { readonly type: 'open'; readonly impl: Impl; readonly transport: Transport; readonly address: string; readonly warmupMs: number }
  | { readonly type: 'echo'; readonly size: number; readonly inflight: number; readonly warmupMs: number; readonly timeMs: number }
  | { readonly type: 'stream'; readonly impl: StreamImpl; readonly address: string; readonly warmupMs: number; readonly timeMs: number }
  | {
      readonly type: 'connect';
      readonly case: ConnectCase;
      readonly impl: ConnectImpl;
      readonly address: string;
      readonly warmupMs: number;
      readonly timeMs: number;
      readonly max: number;
    };
