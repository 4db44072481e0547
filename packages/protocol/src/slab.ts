// Short-lived byte arrays without the cost of a fresh ArrayBuffer each.

/** Size of each shared slab, bytes. */
export const SLAB_BYTES = 16 * 1024;

/** Arrays up to this size come from a slab; larger ones get their own buffer. */
export const SLAB_MAX = SLAB_BYTES / 4;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/**
 * A new, zero-filled `Uint8Array` of `n` bytes. The engine pays about half a microsecond for
 * every ArrayBuffer of its own past 64 bytes (in allocation and in collection), which is most of
 * the cost of a 1 KiB JSON payload; and an array of 64 bytes or less, which the engine keeps on
 * its own heap, costs about 0.8 µs when written: Node's streams and `ws` read a written array's
 * `buffer`, which moves an on-heap array off the heap first. So arrays up to 4 KiB (`SLAB_MAX`)
 * are views into a shared slab of 16 KiB (`SLAB_BYTES`) that is filled front to back and never
 * reused, as Node's Buffer pool does: about 0.07 µs each. No two arrays share a byte, and each
 * starts zeroed. The price: a view keeps its whole slab alive, so this is for bytes that live
 * briefly (outgoing frames and payloads), never for bytes handed to a caller to keep.
 */
export function allocBytes(n: number): Uint8Array {
  if (n > SLAB_MAX) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const bytes = new Uint8Array(slab, used, n);
  // Keep each view 8-byte aligned, so a caller may lay a wider typed array over it.
  used += (n + 7) & ~7;
  return bytes;
}
