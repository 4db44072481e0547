/**
 * Splits a byte stream of messages each prefixed with its length (4 bytes, big-endian): the
 * framing of the raw baselines. Hands out each complete message as it arrives.
 */
export class LengthPrefixed {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly onMessage: (message: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf: Buffer;
    if (this.buffered === 0) buf = chunk;
    else {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (!this.complete()) return;
      buf = Buffer.concat(this.chunks, this.buffered);
      this.chunks = [];
      this.buffered = 0;
    }
    let at = 0;
    while (buf.length - at >= 4) {
      const n = buf.readUInt32BE(at);
      if (buf.length - at - 4 < n) break;
      this.onMessage(buf.subarray(at + 4, at + 4 + n));
      at += 4 + n;
    }
    if (at < buf.length) {
      this.chunks = [buf.subarray(at)];
      this.buffered = buf.length - at;
    }
  }

  /** Whether the buffered bytes hold at least one whole message (so concatenating is worth it). */
  private complete(): boolean {
    const first = this.chunks[0]!;
    if (this.buffered < 4) return false;
    const head = first.length >= 4 ? first : Buffer.concat(this.chunks, 4);
    return this.buffered >= 4 + head.readUInt32BE(0);
  }
}

/** A 4-byte big-endian length header. */
export function lengthHeader(n: number): Buffer {
  const h = Buffer.allocUnsafe(4);
  h.writeUInt32BE(n, 0);
  return h;
}
