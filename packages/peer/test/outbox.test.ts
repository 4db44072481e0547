// The outbox's batching: one transport write per tick, and large payloads sent uncopied
// through `writev` when the transport has it.
import { describe, expect, it } from 'vitest';
import { encodeFrames, type Frame } from '@gotalk/protocol';
import type { Transport } from '@gotalk/peer';
import { Outbox } from '../src/outbox.ts';

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

  it('sends every frame of a tick in one write, with the version prefix first', async () => {
    const { transport, writes } = recorder(false);
    const outbox = new Outbox(transport, new Uint8Array([0x30, 0x31]));
    for (const f of frames) outbox.send(f);
    await Promise.resolve();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(1);
    expect(writes[0]![0]).toEqual(joined([new Uint8Array([0x30, 0x31]), encodeFrames(frames)]));
  });

  it('with writev, sends large payloads as their own pieces of the one write, uncopied', async () => {
    const { transport, writes } = recorder(true);
    const outbox = new Outbox(transport, null);
    for (const f of frames) outbox.send(f);
    await Promise.resolve();
    expect(writes).toHaveLength(1);
    const pieces = writes[0]!;
    expect(pieces.filter((p) => p === big)).toHaveLength(2); // the very same objects: no copy
    expect(joined(pieces)).toEqual(encodeFrames(frames));
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
