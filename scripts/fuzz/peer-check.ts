// The peer's invariants, checked on one input fed through a scripted transport: it never throws
// out of the transport's callbacks, answers each request it received at most once (and every
// single request while it stays open), replies only to ids it was asked under, closes with an
// `f` frame and a ProtocolError exactly when the bytes it read are invalid (or the other side
// sent `f`) and otherwise stays open, writes valid Gotalk, and once closed holds nothing: no
// timer running, nothing in flight, its own requests all settled.
import { GotalkError, Peer, ProtocolError, type CloseInfo, type PeerOptions, type Transport } from '@gotalk/peer';
import { CodecError, FrameDecoder, MAX_WIRE_PAYLOAD, type DecodedFrame } from '@gotalk/protocol';
import type { PeerConfig } from './cases.ts';
import { count, type Failure } from './decoder-check.ts';
import type { Guard } from './guard.ts';
import { fuzzHandlers, HANGING_OPS } from './peer-fixture.ts';
import { Rng } from './rng.ts';
import { FuzzTransport } from './transport.ts';
import { concatBytes } from './wire.ts';

/** Makes the peer under test: a real Peer unless a test gives a faulty one to prove the checks bite. */
export type MakePeer = (transport: Transport, options: PeerOptions) => Peer;

const realPeer: MakePeer = (t, o) => new Peer(t, o);

/** The peer writes at most this many bytes per byte read, plus a constant (error texts quote names, escaped). */
const AMPLIFICATION = 8;
const AMPLIFICATION_SLACK = 16 * 1024;

const HANGING = new Set<string>(HANGING_OPS);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits until the peer and its transport are quiet: two turns of the event loop with nothing new. */
async function settle(t: { writes: unknown[]; delivered: unknown[] }, peer: Peer, maxTurns = 200): Promise<void> {
  let last = -1;
  let quiet = 0;
  for (let i = 0; i < maxTurns && quiet < 2; i++) {
    await nextTurn();
    const now = t.writes.length * 1_000_003 + t.delivered.length * 7 + peer.inFlight;
    if (now === last) quiet++;
    else {
      quiet = 0;
      last = now;
    }
  }
}

/** What the peer read, as the protocol's own decoder sees it, up to the end of the connection's valid part. */
interface Expected {
  /** Requests (r, s, and oversize ones) received per id, before anything ended the connection. */
  readonly requests: Map<number, number>;
  /** Of those, the ones that must be answered while the connection is open. */
  readonly due: Map<number, number>;
  /** What ends the connection: the other side's `f`, invalid bytes, or nothing. */
  readonly end: { kind: 'f'; code: number } | { kind: 'invalid'; code: number; error: CodecError } | null;
}

function bump(m: Map<number, number>, id: number): void {
  m.set(id, (m.get(id) ?? 0) + 1);
}

function expected(read: Uint8Array, config: PeerConfig): Expected {
  const requests = new Map<number, number>();
  const due = new Map<number, number>();
  let end: Expected['end'] = null;
  let versioned = false;
  const decoder = new FrameDecoder({ expectVersion: true, maxPayload: config.maxPayload });
  try {
    decoder.push(read, (f) => {
      if (end) return;
      if (f.type === 'version') versioned = true;
      else if (f.type === 'f') end = { kind: 'f', code: f.code };
      else if (f.type === 'r' || f.type === 's') {
        bump(requests, f.id);
        if (f.type === 'r' && !HANGING.has(f.op)) bump(due, f.id);
      } else if (f.type === 'oversize' && (f.frame.type === 'r' || f.frame.type === 's')) {
        bump(requests, f.frame.id);
        bump(due, f.frame.id);
      }
    });
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    // During the handshake every codec error is "unsupported" (1), afterwards "invalid" (2).
    end ??= { kind: 'invalid', code: versioned ? 2 : 1, error: err };
  }
  return { requests, due, end };
}

/** The peer's output, decoded: replies per id, the f frames, or why it is not valid Gotalk. */
interface Written {
  readonly finals: Map<number, number>;
  readonly parts: Set<number>;
  readonly f: number[];
  /** Frames written after the first f. */
  readonly afterF: number;
  readonly problem: string | null;
}

function written(chunks: readonly Uint8Array[]): Written {
  const finals = new Map<number, number>();
  const parts = new Set<number>();
  const f: number[] = [];
  let afterF = 0;
  let problem: string | null = null;
  const decoder = new FrameDecoder({ expectVersion: true, maxPayload: MAX_WIRE_PAYLOAD });
  const sink = (frame: DecodedFrame) => {
    if (f.length > 0) afterF++;
    switch (frame.type) {
      case 'R':
      case 'E':
      case 'e':
        bump(finals, frame.id);
        break;
      case 'S':
        if (frame.payload.length === 0) bump(finals, frame.id);
        else parts.add(frame.id);
        break;
      case 'f':
        f.push(frame.code);
        break;
    }
  };
  try {
    decoder.push(concatBytes(chunks), sink);
    if (!decoder.idle) problem = 'the output ends inside a frame';
  } catch (err) {
    problem = `the output is not valid Gotalk: ${(err as Error).message}`;
  }
  return { finals, parts, f, afterF, problem };
}

function peerOptions(config: PeerConfig): PeerOptions {
  const long = config.timers ? 60_000 : 0;
  return {
    handlers: fuzzHandlers(config.fallback, config.maxPayload),
    heartbeatInterval: long,
    idleTimeout: long,
    handshakeTimeout: long,
    requestTimeout: long,
    closeTimeout: 60_000,
    retries: config.retries,
    limits: {
      maxPayload: config.maxPayload,
      maxRequests: config.maxRequests,
      maxStreams: config.maxStreams,
      streamBuffer: config.streamBuffer,
      retryWait: [0, 10],
    },
  };
}

/** The peer's own requests: each records whether (and how) it settled. */
function ownRequests(peer: Peer, config: PeerConfig): { settled: boolean; error: unknown }[] {
  const records: { settled: boolean; error: unknown }[] = [];
  const track = (p: Promise<unknown>) => {
    const rec = { settled: false, error: undefined as unknown };
    records.push(rec);
    p.then(
      () => (rec.settled = true),
      (e: unknown) => {
        rec.settled = true;
        rec.error = e;
      },
    );
  };
  for (let i = 0; i < config.ownRequests; i++) {
    track(i % 2 === 0 ? peer.requestBytes('x', Uint8Array.of(i)) : peer.request('x', { i }));
  }
  if (config.ownStream) {
    track(
      (async () => {
        for await (const part of peer.stream('y', [Uint8Array.of(1), Uint8Array.of(2)])) void part;
      })(),
    );
  }
  return records;
}

/** How the peer ended, for failure details. */
function describeClose(info: CloseInfo | null): string {
  if (!info) return 'still open';
  const e = info.error;
  return `closed (${info.reason}${e ? `, ${e.code}${e instanceof ProtocolError ? ` ${e.protocolCode}${e.remote ? ' remote' : ''}` : ''}` : ''})`;
}

/**
 * Feeds `input` to a fresh peer in random chunks, with random pauses between them, then checks
 * it; then ends the connection one of three ways and checks what is left. Null when all holds.
 */
export async function checkPeer(
  input: Uint8Array,
  config: PeerConfig,
  chunkSeed: number,
  guard: Guard,
  make: MakePeer = realPeer,
  tally: Record<string, number> = {},
): Promise<Failure | null> {
  const rng = new Rng(chunkSeed ^ 0x9e3779b9);
  const t = new FuzzTransport({ highWaterMark: config.highWaterMark, writev: config.writev });
  let info: CloseInfo | null = null;
  let peer: Peer;
  try {
    peer = make(t, peerOptions(config));
  } catch (err) {
    return { kind: 'peer constructor threw', detail: String(err) };
  }
  void peer.closed.then((i) => (info = i));
  const own = ownRequests(peer, config);

  // Feed the input.
  const cuts = Array.from({ length: rng.range(0, 6) }, () => rng.int(input.length + 1)).sort((a, b) => a - b);
  let at = 0;
  for (const cut of [...cuts, input.length]) {
    t.feed(input.subarray(at, cut));
    at = cut;
    const pause = rng.int(10);
    if (pause < 2) await Promise.resolve();
    else if (pause < 4) await nextTurn();
  }
  await settle(t, peer);

  const fail = (kind: string, detail: string): Failure => ({ kind, detail });
  // What it did with its input, checked while the connection is as the input left it.
  const reading = async (): Promise<Failure | null> => {
    if (t.thrown.length > 0) return fail('peer threw out of a transport callback', String(t.thrown[0]));
    if (t.starts !== 1) return fail('peer started its transport more than once', `${t.starts} starts`);

    // Open or closed, as the bytes it read say.
    const read = concatBytes(t.delivered);
    const exp = expected(read, config);
    const out = written(t.writes);
    if (out.problem) return fail('peer wrote invalid Gotalk', out.problem);
    const state = describeClose(info);
    if (exp.end === null) {
      if (!peer.open || info) return fail('peer closed on valid input', state);
    } else if (exp.end.kind === 'f') {
      const e = (info as CloseInfo | null)?.error;
      if (!(info && e instanceof ProtocolError && e.remote && e.protocolCode === exp.end.code && (info as CloseInfo).reason === 'protocol')) {
        return fail("peer did not close on the other side's f frame", `f${exp.end.code.toString(16)} read; ${state}`);
      }
      if (out.f.length > 0) return fail("peer answered the other side's f with an f", `wrote f${out.f[0]!.toString(16)}`);
    } else {
      const want = exp.end.code;
      const e = (info as CloseInfo | null)?.error;
      if (!(info && e instanceof ProtocolError && !e.remote && e.protocolCode === want && (info as CloseInfo).reason === 'protocol')) {
        return fail(
          'peer did not close with a ProtocolError on invalid input',
          `${exp.end.error.code} at ${exp.end.error.offset}, expected f${want}; ${state}`,
        );
      }
      if (out.f.length !== 1 || out.f[0] !== want)
        return fail('peer did not send one f frame for invalid input', `expected f${want}, wrote [${out.f.join(', ')}]`);
    }
    if (out.afterF > 0) return fail('peer wrote frames after its f frame', `${out.afterF} frames`);
    count(
      tally,
      exp.end === null ? 'peer: stayed open' : exp.end.kind === 'f' ? "peer: closed on the other side's f" : 'peer: closed on invalid input (f sent)',
    );
    if (t.paused) count(tally, 'peer: stopped reading (backpressure)');

    // Replies: at most one final reply per request received, each to an id it was asked under.
    for (const [id, n] of out.finals) {
      const asked = exp.requests.get(id) ?? 0;
      if (n > asked) return fail('peer sent more final replies than requests for an id', `id 0x${id.toString(16)}: ${n} final replies, ${asked} requests`);
    }
    for (const id of out.parts) {
      if (!exp.requests.has(id)) return fail('peer sent stream parts to an id never requested', `id 0x${id.toString(16)}`);
    }
    if (exp.end === null && peer.open) {
      for (const [id, n] of exp.due) {
        const got = out.finals.get(id) ?? 0;
        if (got < n) return fail('peer left a single request unanswered while open', `id 0x${id.toString(16)}: ${n} due, ${got} final replies`);
      }
    }
    for (const n of out.finals.values()) count(tally, 'peer: requests answered', n);
    const limit = AMPLIFICATION * read.length + AMPLIFICATION_SLACK;
    if (t.writtenBytes > limit) return fail('peer wrote far more than it read', `${t.writtenBytes} bytes written for ${read.length} read`);
    return null;
  };
  const failure = await reading();

  // End the connection (whatever was found), and check that nothing is left behind.
  const ending = rng.pick(['hang up', 'close', 'destroy'] as const);
  if (ending === 'close') void peer.close();
  else if (ending === 'destroy') peer.destroy();
  if (ending !== 'hang up') await settle(t, peer);
  t.hangUp();
  await settle(t, peer);
  if (failure) {
    guard.clearTimers(); // a failing case may have left its peer's timers: the next case starts clean
    return failure;
  }
  if (t.thrown.length > 0) return fail('peer threw out of a transport callback', String(t.thrown[0]));
  if (!info) return fail('peer not closed after its connection ended', `ended by ${ending}`);
  if (peer.inFlight !== 0) return fail('peer still has requests in flight after closing', `${peer.inFlight} in flight (ended by ${ending})`);
  const pending = own.filter((r) => !r.settled).length;
  if (pending > 0) return fail("peer's own requests never settled after closing", `${pending} of ${own.length} (ended by ${ending})`);
  const odd = own.find((r) => r.error !== undefined && !(r.error instanceof GotalkError));
  if (odd) return fail("peer's own request failed with something other than a GotalkError", String(odd.error));
  if (guard.liveTimers > 0) {
    const n = guard.liveTimers;
    guard.clearTimers();
    return fail('peer left timers running after closing', `${n} timers (ended by ${ending})`);
  }
  return null;
}
