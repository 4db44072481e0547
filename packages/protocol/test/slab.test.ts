import { describe, expect, it } from 'vitest';
import { allocBytes } from '../src/index.ts';
import { SLAB_BYTES, SLAB_MAX } from '../src/slab.ts';

describe('allocBytes', () => {
  it('returns arrays of the length asked for, zero-filled, at every size class', () => {
    for (const n of [0, 1, 64, 65, 1000, SLAB_MAX, SLAB_MAX + 1, SLAB_BYTES * 2]) {
      const a = allocBytes(n);
      expect(a).toBeInstanceOf(Uint8Array);
      expect(a.length).toBe(n);
      expect(a.every((b) => b === 0)).toBe(true);
    }
  });

  it('never hands out the same byte twice: writing one array leaves every other as it was', () => {
    const sizes = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 1 + (i % 64) : 65 + ((i * 977) % (SLAB_MAX - 64))));
    const arrays = sizes.map((n, i) => allocBytes(n).fill((i % 255) + 1));
    arrays.forEach((a, i) => expect(a.every((b) => b === (i % 255) + 1)).toBe(true));
  });

  it('cuts small arrays from a shared slab, the smallest too, and gives larger ones a buffer of their own', () => {
    expect(allocBytes(100).buffer.byteLength).toBe(SLAB_BYTES);
    // Never the engine's on-heap arrays, which cost a move off the heap when written to a socket.
    for (const n of [1, 45, 64]) expect(allocBytes(n).buffer.byteLength).toBe(SLAB_BYTES);
    expect(allocBytes(SLAB_MAX + 1).buffer.byteLength).toBe(SLAB_MAX + 1);
  });

  it('starts each slab array at an 8-byte boundary', () => {
    for (const n of [1, 13, 64, 65, 67, 99, 130]) expect(allocBytes(n).byteOffset % 8).toBe(0);
  });

  it('moves to a fresh slab when the current one cannot hold the next array', () => {
    const first = allocBytes(SLAB_MAX);
    const seen = new Set([first.buffer]);
    for (let i = 0; i < 8; i++) seen.add(allocBytes(SLAB_MAX).buffer);
    // 9 arrays of a quarter slab each need at least 3 slabs.
    expect(seen.size).toBeGreaterThanOrEqual(3);
    for (const b of seen) expect(b.byteLength).toBe(SLAB_BYTES);
  });
});
