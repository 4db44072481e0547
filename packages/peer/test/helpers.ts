// Helpers of the peer tests that are about peers: activity records, frames on the wire, a peer
// driven by hand. What every package's tests share (waiting, errors, bytes) is @gotalk/test-kit.
import { encodeFrame, encodeVersion, FrameDecoder, MAX_WIRE_PAYLOAD, type DecodedFrame, type Frame } from '@gotalk/protocol';
import { afterEach } from 'vitest';
import { connectedPeers, memoryPair, Peer, type ActivityEvent, type MemoryPairOptions, type PeerOptions, type Transport } from '@gotalk/peer';
import { waitFor } from '@gotalk/test-kit';

/**
 * For a test file's top level: returns a maker of two peers connected in memory, without
 * heartbeats unless the options say so, and registers an `afterEach` that destroys every pair made.
 */
export function pairsEndedAfterEach(): (a?: PeerOptions, b?: PeerOptions) => [Peer, Peer] {
  const made: Peer[] = [];
  afterEach(() => {
    for (const p of made.splice(0)) p.destroy();
  });
  return (a = {}, b = {}) => {
    const peers = connectedPeers({ heartbeatInterval: 0, ...a }, { heartbeatInterval: 0, ...b });
    made.push(...peers);
    return peers;
  };
}

/** Records every activity event of `peer` (from now on) into the returned array. */
export function recordActivity(peer: Peer): ActivityEvent[] {
  const events: ActivityEvent[] = [];
  peer.onActivity((e) => events.push(e));
  return events;
}

/** A frame seen on the wire, with the side that wrote it. */
export interface WireEntry {
  readonly from: 'a' | 'b';
  readonly frame: Frame;
}

/** Wraps `transport.write` so that every frame it writes is decoded and logged. */
export function tapTransport(transport: Transport, onFrame: (frame: Frame) => void): void {
  const decoder = new FrameDecoder({ expectVersion: true, maxPayload: MAX_WIRE_PAYLOAD });
  const write = transport.write.bind(transport);
  transport.write = (chunk: Uint8Array): boolean => {
    decoder.push(chunk, (f: DecodedFrame) => {
      if (f.type !== 'version' && f.type !== 'oversize' && f.type !== 'refused') onFrame(f);
    });
    return write(chunk);
  };
}

/**
 * Two peers connected in memory, with every frame each writes logged in one list in write
 * order (so a reply always appears after its request, and a reuse of an id after its reply).
 */
export function tappedPeers(
  a: PeerOptions = {},
  b: PeerOptions = {},
  pipe: MemoryPairOptions = {},
): { a: Peer; b: Peer; wire: WireEntry[]; sent: (side: 'a' | 'b') => Frame[] } {
  const [ta, tb] = memoryPair(pipe);
  const wire: WireEntry[] = [];
  tapTransport(ta, (frame) => wire.push({ from: 'a', frame }));
  tapTransport(tb, (frame) => wire.push({ from: 'b', frame }));
  const pa = new Peer(ta, a);
  const pb = new Peer(tb, b);
  return { a: pa, b: pb, wire, sent: (side) => wire.filter((e) => e.from === side).map((e) => e.frame) };
}

/** Frames of one type out of a list, typed. */
export function framesOf<T extends Frame['type']>(frames: readonly Frame[], type: T): Extract<Frame, { type: T }>[] {
  return frames.filter((f): f is Extract<Frame, { type: T }> => f.type === type);
}

/**
 * A peer whose other end is driven by hand: `frames` holds what the peer sent (decoded),
 * `send` writes frames to it. The version is sent at once unless `version` is false.
 */
export function rawPeer(
  options: PeerOptions = {},
  { version = true }: { version?: boolean } = {},
): {
  peer: Peer;
  frames: Frame[];
  send: (...frames: Frame[]) => void;
  sendBytes: (chunk: Uint8Array) => void;
  waitFrame: <T extends Frame['type']>(type: T, pred?: (f: Extract<Frame, { type: T }>) => boolean, timeout?: number) => Promise<Extract<Frame, { type: T }>>;
  closed: () => boolean;
} {
  const [tp, tr] = memoryPair();
  const frames: Frame[] = [];
  const decoder = new FrameDecoder({ expectVersion: true, maxPayload: MAX_WIRE_PAYLOAD });
  let isClosed = false;
  tr.start({
    data: (chunk) =>
      decoder.push(chunk, (f) => {
        if (f.type !== 'version' && f.type !== 'oversize' && f.type !== 'refused') frames.push(f);
      }),
    drain: () => {},
    close: () => {
      isClosed = true;
    },
  });
  if (version) tr.write(encodeVersion());
  const peer = new Peer(tp, options);
  const waitFrame = async <T extends Frame['type']>(
    type: T,
    pred: (f: Extract<Frame, { type: T }>) => boolean = () => true,
    timeout = 5000,
  ): Promise<Extract<Frame, { type: T }>> => {
    let found: Extract<Frame, { type: T }> | undefined;
    await waitFor(() => (found = framesOf(frames, type).find(pred)), `a "${type}" frame`, timeout);
    return found!;
  };
  return {
    peer,
    frames,
    send: (...fs) => {
      for (const f of fs) tr.write(encodeFrame(f));
    },
    sendBytes: (chunk) => tr.write(chunk),
    waitFrame,
    closed: () => isClosed,
  };
}
