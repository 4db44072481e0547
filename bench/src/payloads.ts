/** Payload of `size` bytes (printable, so no codec is favoured). */
export function bytesOf(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = 0x61 + (i % 26);
  return b;
}

/** A small JSON object whose encoding is `size` bytes: `{"data":"…"}`. */
export function jsonOf(size: number): { data: string } {
  const overhead = JSON.stringify({ data: '' }).length;
  return { data: 'x'.repeat(Math.max(0, size - overhead)) };
}

/** Size of an echoed value, to check a reply. */
export function sizeOf(value: unknown): number {
  if (value instanceof Uint8Array) return value.length;
  return JSON.stringify(value).length;
}
