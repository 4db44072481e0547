// The outbox's batching: one transport write per tick up to a batch's bounds, and large
// payloads sent uncopied through `writev` when the transport has it.
import { describe, expect, it } from 'vitest';
import { encodeFrames, type Frame } from '@gotalk/protocol';
import type { Transport } from '@gotalk/peer';
import { BATCH_BYTES, BATCH_FRAMES, Outbox } from '../src/outbox.ts';

function recorder(withWritev: boolean) {
  const writes: Uint8Array[][] = [];
  const transport: Transport = {
    start: () => {},
    write: (bytes) => (writes.push([bytes]), true),
    pause: () => {},
    resume: () => {},
    close: () => {},
    destroy: () => {},
    ...(withWritev ? { writev: (pieces: readonly Uint8Array[]) => (writes.push([...pieces]), true) } : {}),
  };
  return { transport, writes };
}

/** The pieces back to back. */
function joined(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('Outbox', () => {
  const big = new Uint8Array(64 * 1024).fill(7);
  const frames: Frame[] = [
    { type: 'r', id: 1, op: 'small', payload: new Uint8Array([1, 2, 3]) },
    { type: 'R', id: 2, payload: big },
    { type: 'n', name: 'after', payload: new Uint8Array([9]) },
    { type: 'S', id: 3, payload: big },
  ];

  const small = (i: number): Frame => ({ type: 'r', id: i, op: 'small', payload: new Uint8Array([i & 0xff]) });

  it('sends the frames of a tick in one write, with the version prefix first', async () => {
    const { transport, writes } = recorder(false);
    const outbox = new Outbox(transport, new Uint8Array([0x30, 0x31]));
    const some = [frames[0]!, frames[2]!, small(4)];
    for (const f of some) outbox.send(f);
    expect(writes).toHaveLength(0);
    await Promise.resolve();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(1);
    expect(writes[0]![0]).toEqual(joined([new Uint8Array([0x30, 0x31]), encodeFrames(some)]));
  });

  it(`writes a batch at once when it reaches ${BATCH_FRAMES} frames, and the rest from the microtask, in order`, async () => {
    const { transport, writes } = recorder(false);
    const outbox = new Outbox(transport, new Uint8Array([0x30, 0x31]));
    const many = Array.from({ length: BATCH_FRAMES + 3 }, (_, i) => small(i + 1));
    for (const f of many) outbox.send(f);
    expect(writes).toHaveLength(1);
    expect(writes[0]![0]).toEqual(joined([new Uint8Array([0x30, 0x31]), encodeFrames(many.slice(0, BATCH_FRAMES))]));
    await Promise.resolve();
    expect(writes).toHaveLength(2);
    expect(joined(writes.flat())).toEqual(joined([new Uint8Array([0x30, 0x31]), encodeFrames(many)]));
  });

  it(`writes a batch at once when it reaches ${BATCH_BYTES} bytes`, () => {
    const { transport, writes } = recorder(false);
    const outbox = new Outbox(transport, null);
    outbox.send(frames[0]!);
    expect(writes).toHaveLength(0);
    outbox.send({ type: 'R', id: 2, payload: new Uint8Array(BATCH_BYTES) });
    expect(writes).toHaveLength(1);
    expect(writes[0]![0]).toEqual(encodeFrames([frames[0]!, { type: 'R', id: 2, payload: new Uint8Array(BATCH_BYTES) }]));
  });

  it('with writev, sends large payloads as their own pieces of the write, uncopied', async () => {
    const { transport, writes } = recorder(true);
    const outbox = new Outbox(transport, null);
    for (const f of frames) outbox.send(f);
    await Promise.resolve();
    // Each large payload fills a batch: [small, big] and [after, big], each one writev.
    expect(writes).toHaveLength(2);
    for (const pieces of writes) expect(pieces.filter((p) => p === big)).toHaveLength(1); // the very same objects: no copy
    expect(joined(writes.flat())).toEqual(encodeFrames(frames));
  });

  it('with writev but only small payloads, still writes one buffer', async () => {
    const { transport, writes } = recorder(true);
    const outbox = new Outbox(transport, null);
    outbox.send(frames[0]!);
    outbox.send(frames[2]!);
    await Promise.resolve();
    expect(writes).toEqual([[encodeFrames([frames[0]!, frames[2]!])]]);
  });
});
