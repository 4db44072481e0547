// Generated Gotalk sessions: the version, then an interleaving of requests, stream parts,
// replies, notifications, heartbeats and now and then a protocol error, with names, ids,
// sizes and hex digits drawn to reach the edges of the format.
import { MAX_NAME_BYTES } from '@gotalk/protocol';
import { NOTIFICATIONS, OPS } from './peer-fixture.ts';
import type { Rng } from './rng.ts';
import {
  concatBytes,
  heartbeatFrame,
  idFrame,
  latin1Bytes,
  notificationFrame,
  protocolErrorFrame,
  requestFrame,
  retryFrame,
  utf8Bytes,
  VERSION,
} from './wire.ts';

/** What the generator needs to know about the peer that will read its output. */
export interface SessionContext {
  /** The payload limit of the reader: sizes around it and past it are drawn. */
  readonly maxPayload: number;
  /** Ids of the reader's own requests: replies to them reach its request code. */
  readonly ownIds: readonly number[];
}

/** Names that are not plain ASCII op names: long, invalid UTF-8, odd characters. */
const ODD_NAMES: readonly Uint8Array[] = [
  Uint8Array.of(0xff),
  Uint8Array.of(0xfe),
  Uint8Array.of(0xc0, 0x80), // overlong NUL
  Uint8Array.of(0xed, 0xa0, 0x80), // a UTF-16 surrogate in UTF-8
  Uint8Array.of(0xe2, 0x82), // a truncated euro sign
  Uint8Array.of(0xf4, 0x90, 0x80, 0x80), // above U+10FFFF
  concatBytes([utf8Bytes('echo'), Uint8Array.of(0xff)]),
  concatBytes([Uint8Array.of(0xef, 0xbb, 0xbf), utf8Bytes('echo')]), // U+FEFF echo
  utf8Bytes('\uFFFD'), // what an invalid byte used to become
  utf8Bytes('ECHO'),
  utf8Bytes('echo\x00'),
  utf8Bytes('\n'),
  utf8Bytes('"quoted\\name"'),
  utf8Bytes('日本語'),
  utf8Bytes('🚀'),
];

/** A name for an op or a notification: usually one with a handler, else something odd. */
export function nameBytes(rng: Rng, known: readonly string[]): Uint8Array {
  const r = rng.int(100);
  if (r < 75) return utf8Bytes(rng.pick(known));
  if (r < 87) return rng.pick(ODD_NAMES);
  if (r < 93) return latin1Bytes(randomAscii(rng, rng.range(1, 24)));
  if (r < 98) return rng.bytes(rng.range(1, 12)); // anything, valid UTF-8 or not
  // Long names: the longest there is, of one byte, two-byte or invalid characters.
  const n = rng.chance(0.5) ? MAX_NAME_BYTES : rng.range(17, MAX_NAME_BYTES);
  const fill = rng.pick([0x61, 0x01, 0xff, 0x80]);
  const name = new Uint8Array(n).fill(fill);
  if (rng.chance(0.3)) name.set(utf8Bytes(rng.pick(known)).subarray(0, n));
  return name;
}

function randomAscii(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.range(0x21, 0x7e));
  return s;
}

const JSON_TEXTS = ['{}', '[]', 'null', '0', '"x"', '{"a":[1,2,{"b":null}]}', '{"a":', '[1,2', 'nul', '\uFEFF{}', '{"__proto__":{"x":1}}'];

/** A payload: mostly small, now and then at the limit or large, sometimes JSON (valid or not). */
export function payloadBytes(rng: Rng, ctx: SessionContext): Uint8Array {
  const r = rng.int(1000);
  const max = ctx.maxPayload;
  if (r < 150) return utf8Bytes(rng.pick(JSON_TEXTS));
  if (r < 160) {
    const depth = rng.range(1, 2000);
    return latin1Bytes('['.repeat(depth) + (rng.chance(0.5) ? ']'.repeat(depth) : ''));
  }
  if (r < 800) return rng.bytes(Math.min(max, rng.int(17)));
  if (r < 960) return rng.view(Math.min(max, rng.int(257)));
  if (r < 995) return rng.view(Math.max(0, Math.min(max, 4096) - rng.int(2))); // at the limit, for the small limits
  return rng.view(Math.max(0, max - rng.int(2))); // at any limit: large enough for the zero-copy write path
}

/** A request id: mostly from a small pool (so ids repeat), sometimes any 4 bytes. */
function requestId(rng: Rng): number {
  const r = rng.int(10);
  if (r < 6) return rng.int(6);
  if (r < 8) return 0x30303030 + rng.int(4); // gotalk.js style '0000'..'0003'
  return rng.u32();
}

/** An id for a reply: one of the reader's own requests, or any. */
function replyId(rng: Rng, ctx: SessionContext): number {
  return rng.chance(0.8) && ctx.ownIds.length > 0 ? rng.pick(ctx.ownIds) : requestId(rng);
}

/** A declared size over the limit, with or without the payload bytes following. */
function oversize(rng: Rng, ctx: SessionContext): { declared: number; payload: Uint8Array } {
  const declared = rng.chance(0.2) ? 0xffffffff : ctx.maxPayload + 1 + rng.int(64);
  const present = declared <= ctx.maxPayload + 65 && rng.chance(0.9);
  return { declared, payload: present ? rng.view(declared) : rng.bytes(rng.int(8)) };
}

/**
 * A session as frame-sized pieces (the version first, usually): kept apart so that frame-level
 * mutations can drop, repeat or swap whole frames. Stream requests get their parts interleaved
 * with the rest, and most are ended.
 */
export function generateSession(rng: Rng, ctx: SessionContext): Uint8Array[] {
  const frames: Uint8Array[] = [];
  if (rng.chance(0.97)) frames.push(VERSION);
  const open: number[] = [];
  const count = rng.chance(0.05) ? rng.range(20, 60) : rng.range(1, 10);
  const upper = () => rng.chance(0.1);
  for (let i = 0; i < count; i++) {
    const kind = rng.weighted<string>([
      [30, 'r'],
      [10, 's'],
      [14, 'p'],
      [14, 'reply'],
      [10, 'n'],
      [6, 'h'],
      [4, 'oversize'],
      [1, 'f'],
    ]);
    switch (kind) {
      case 'r':
        frames.push(requestFrame('r', requestId(rng), nameBytes(rng, OPS), payloadBytes(rng, ctx), { upper: upper() }));
        break;
      case 's': {
        const id = rng.chance(0.7) ? 0x80000000 + rng.int(4) : requestId(rng);
        frames.push(requestFrame('s', id, nameBytes(rng, OPS), payloadBytes(rng, ctx), { upper: upper() }));
        open.push(id);
        break;
      }
      case 'p': {
        const id = open.length > 0 && rng.chance(0.85) ? rng.pick(open) : requestId(rng);
        const end = rng.chance(0.25);
        frames.push(idFrame('p', id, end ? new Uint8Array(0) : payloadBytes(rng, ctx), { upper: upper() }));
        if (end && open.includes(id)) open.splice(open.indexOf(id), 1);
        break;
      }
      case 'reply': {
        const id = replyId(rng, ctx);
        const type = rng.pick(['R', 'S', 'S', 'E', 'e'] as const);
        if (type === 'e') frames.push(retryFrame(id, rng.pick([0, 1, 5, 0xffffffff, rng.u32()]), payloadBytes(rng, ctx), { upper: upper() }));
        else frames.push(idFrame(type, id, type === 'S' && rng.chance(0.3) ? new Uint8Array(0) : payloadBytes(rng, ctx), { upper: upper() }));
        break;
      }
      case 'n':
        frames.push(notificationFrame(nameBytes(rng, NOTIFICATIONS), payloadBytes(rng, ctx), { upper: upper() }));
        break;
      case 'h':
        frames.push(heartbeatFrame(rng.chance(0.5) ? rng.int(0x10000) : rng.pick([0, 0xffff]), rng.u32(), upper()));
        break;
      case 'oversize': {
        const { declared, payload } = oversize(rng, ctx);
        const type = rng.pick(['r', 's', 'p', 'R', 'S', 'E', 'e', 'n'] as const);
        const spec = { declared, upper: upper() };
        if (type === 'r' || type === 's') frames.push(requestFrame(type, requestId(rng), nameBytes(rng, OPS), payload, spec));
        else if (type === 'e') frames.push(retryFrame(replyId(rng, ctx), 0, payload, spec));
        else if (type === 'n') frames.push(notificationFrame(nameBytes(rng, NOTIFICATIONS), payload, spec));
        else frames.push(idFrame(type, type === 'p' && open.length > 0 ? rng.pick(open) : replyId(rng, ctx), payload, spec));
        break;
      }
      case 'f':
        frames.push(protocolErrorFrame(rng.pick([0, 1, 2, 3, rng.u32()])));
        break;
    }
  }
  for (const id of open) if (rng.chance(0.8)) frames.push(idFrame('p', id, new Uint8Array(0)));
  return frames;
}
