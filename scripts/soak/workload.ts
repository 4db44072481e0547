// The soak's requests: each kind sends something random, checks the answer in full, and counts
// it as ok, wrong (an answer, but not the right one) or lost (no answer: an error or a timeout).
import { Handlers, type Peer } from '@gotalk/node';
import { Rng } from '../fuzz/rng.ts';
import { payloadFor } from './protocol.ts';

/** The kinds of request a soak client makes, with their weights. */
export const KINDS = [
  ['echo', 30],
  ['echo-json', 15],
  ['delay', 10],
  ['stream-echo', 15],
  ['server-stream', 10],
  ['notification', 10],
  ['call-back', 10],
] as const;
export type Kind = (typeof KINDS)[number][0];

/** Counts per kind, and the first problems seen (for the report). */
export class Tally {
  readonly sent = new Map<Kind, number>();
  readonly ok = new Map<Kind, number>();
  readonly wrong = new Map<Kind, number>();
  readonly lost = new Map<Kind, number>();
  readonly problems: string[] = [];
  readonly latencies: number[] = [];
  connections = 0;
  connectFailures = 0;

  count(map: Map<Kind, number>, kind: Kind): void {
    map.set(kind, (map.get(kind) ?? 0) + 1);
  }

  problem(text: string): void {
    if (this.problems.length < 10) this.problems.push(text);
  }

  total(map: Map<Kind, number>): number {
    let n = 0;
    for (const v of map.values()) n += v;
    return n;
  }
}

/** The handlers every soak client serves: the server calls `client-reverse` back for `call-back`. */
export const clientHandlers = new Handlers().handleBytes('client-reverse', (p) => p.slice().reverse());

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Random payload bytes: mostly small, some up to 64 KiB, a few up to 1 MiB. */
function payload(rng: Rng): Uint8Array {
  const r = rng.int(100);
  return rng.bytes(r < 80 ? rng.int(1025) : r < 98 ? rng.int(65_537) : rng.int(1 << 20));
}

/** A random JSON value, a few levels deep. */
function jsonValue(rng: Rng, depth = 0): unknown {
  const r = rng.int(depth > 2 ? 4 : 6);
  if (r === 0) return rng.int(1_000_000) - 500_000;
  if (r === 1) return `s${rng.u32().toString(36)}é😀`;
  if (r === 2) return rng.chance(0.5);
  if (r === 3) return null;
  if (r === 4) return Array.from({ length: rng.int(5) }, () => jsonValue(rng, depth + 1));
  return Object.fromEntries(Array.from({ length: rng.int(5) }, (_, i) => [`k${i}`, jsonValue(rng, depth + 1)]));
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** One client connection's notification bookkeeping: pongs awaited by their payload. */
export class Pongs {
  readonly #waiting = new Map<string, () => void>();

  constructor(peer: Peer) {
    peer.handlers.onNotificationBytes('pong', (p) => {
      const key = hex(p);
      const done = this.#waiting.get(key);
      this.#waiting.delete(key);
      done?.();
    });
  }

  /** Resolves true when the pong for `payload` arrives, false after `timeout` ms. */
  expect(payload: Uint8Array, timeout: number): Promise<boolean> {
    return new Promise((resolve) => {
      const key = hex(payload);
      const timer = setTimeout(() => {
        this.#waiting.delete(key);
        resolve(false);
      }, timeout);
      this.#waiting.set(key, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

/** Makes one request of `kind` on `peer` and checks its answer: 'ok', or what was wrong. */
async function attempt(kind: Kind, peer: Peer, pongs: Pongs, rng: Rng): Promise<'ok' | { wrong: string }> {
  switch (kind) {
    case 'echo': {
      const p = payload(rng);
      const r = await peer.requestBytes('echo', p);
      return sameBytes(r, p) ? 'ok' : { wrong: `echo of ${p.length} bytes came back as ${r.length} other bytes` };
    }
    case 'echo-json': {
      const v = jsonValue(rng);
      const r = await peer.request('echo-json', v);
      return JSON.stringify(r) === JSON.stringify(v) ? 'ok' : { wrong: `echo-json ${JSON.stringify(v)} came back as ${JSON.stringify(r)}` };
    }
    case 'delay': {
      const v = { n: rng.u32() };
      const r = await peer.request('delay', { ms: rng.int(50), value: v });
      return JSON.stringify(r) === JSON.stringify(v) ? 'ok' : { wrong: `delay answered ${JSON.stringify(r)} for ${JSON.stringify(v)}` };
    }
    case 'stream-echo': {
      const parts = Array.from({ length: rng.range(1, 8) }, () => rng.bytes(rng.range(1, 4096)));
      const got: Uint8Array[] = [];
      for await (const part of peer.stream('stream-echo', parts)) got.push(part);
      if (got.length !== parts.length) return { wrong: `stream-echo of ${parts.length} parts answered ${got.length}` };
      const bad = parts.findIndex((p, i) => !sameBytes(p, got[i]!));
      return bad < 0 ? 'ok' : { wrong: `stream-echo part ${bad} differs` };
    }
    case 'server-stream': {
      const seed = rng.u32();
      const count = rng.int(17);
      let i = 0;
      for await (const part of peer.stream('server-stream', new TextEncoder().encode(JSON.stringify({ seed, count })))) {
        if (!sameBytes(part, payloadFor(seed, i))) return { wrong: `server-stream part ${i} of seed ${seed} differs` };
        i++;
      }
      return i === count ? 'ok' : { wrong: `server-stream gave ${i} parts, not ${count}` };
    }
    case 'notification': {
      const p = rng.bytes(16);
      const answered = pongs.expect(p, 15_000);
      peer.notifyBytes('ping', p);
      return (await answered) ? 'ok' : { wrong: 'no pong for a ping within 15 s' };
    }
    case 'call-back': {
      const p = rng.bytes(rng.int(2049));
      const r = await peer.requestBytes('call-back', p);
      return sameBytes(r, p.slice().reverse()) ? 'ok' : { wrong: 'call-back answered other bytes than its payload reversed' };
    }
  }
}

/** Makes one request and counts it; never throws. */
export async function request(kind: Kind, peer: Peer, pongs: Pongs, rng: Rng, tally: Tally, where: string): Promise<void> {
  tally.count(tally.sent, kind);
  const started = performance.now();
  try {
    const result = await attempt(kind, peer, pongs, rng);
    tally.latencies.push(performance.now() - started);
    if (result === 'ok') tally.count(tally.ok, kind);
    else if (kind === 'notification') {
      tally.count(tally.lost, kind);
      tally.problem(`lost (${where}): ${result.wrong}`);
    } else {
      tally.count(tally.wrong, kind);
      tally.problem(`wrong (${where}): ${result.wrong}`);
    }
  } catch (err) {
    tally.count(tally.lost, kind);
    const e = err as { code?: string; message?: string };
    tally.problem(`lost (${where}): ${kind} failed with ${e.code ?? ''} ${e.message ?? String(err)}`);
  }
}

/** Draws a kind by weight. */
export function pickKind(rng: Rng): Kind {
  return rng.weighted(KINDS.map(([k, w]) => [w, k] as const));
}
