import type { Impl, Transport } from './clients/index.ts';

/** What a client process is asked to do (passed as JSON on its command line). */
export type Job =
  | {
      readonly kind: 'echo';
      readonly impl: Impl;
      readonly transport: Transport;
      readonly address: string;
      readonly cases: readonly { readonly id: string; readonly size: number; readonly inflight: number }[];
      readonly warmupMs: number;
      readonly timeMs: number;
    }
  | {
      readonly kind: 'stream';
      readonly id: string;
      readonly impl: 'gotalk' | 'raw';
      readonly address: string;
      readonly warmupMs: number;
      readonly timeMs: number;
    }
  | {
      readonly kind: 'connect';
      readonly id: string;
      readonly impl: 'gotalk' | 'raw';
      readonly address: string;
      readonly warmupMs: number;
      readonly timeMs: number;
      readonly max: number;
    }
  | { readonly kind: 'idle'; readonly impl: 'gotalk' | 'raw'; readonly address: string; readonly count: number; readonly warm: number };
