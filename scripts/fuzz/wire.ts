// Raw frame bytes for the fuzzer, written field by field and without the encoder's checks, so
// that sizes, names and hex digits can be anything the generator or a mutation wants.

const enc = new TextEncoder();

/** The bytes of a latin1 string: one byte per char (0..255). */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** UTF-8 bytes of `s`. */
export function utf8Bytes(s: string): Uint8Array {
  return enc.encode(s);
}

/** The pieces back to back. */
export function concatBytes(pieces: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of pieces) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `value` as `width` hex digits (it is reduced modulo 16^width); uppercase when `upper`. */
export function hexField(value: number, width: number, upper = false): string {
  const s = (value >>> 0).toString(16).padStart(8, '0').slice(-width).padStart(width, '0');
  return upper ? s.toUpperCase() : s;
}

/** The 4 wire bytes of a request id, big-endian. */
export function idField(id: number): Uint8Array {
  return Uint8Array.of(id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
}

/** How a payload frame's header declares its size: its true size unless `declared` is given. */
export interface SizeSpec {
  /** The size written in the header (default the payload's length). */
  readonly declared?: number;
  readonly upper?: boolean;
}

/** `r` or `s`: a request frame; the name is raw bytes (any length ≤ 0xfff is written, longer is cut). */
export function requestFrame(type: 'r' | 's', id: number, name: Uint8Array, payload: Uint8Array, spec: SizeSpec = {}): Uint8Array {
  const head = latin1Bytes(type);
  const len = latin1Bytes(hexField(name.length, 3, spec.upper));
  const size = latin1Bytes(hexField(spec.declared ?? payload.length, 8, spec.upper));
  return concatBytes([head, idField(id), len, name, size, payload]);
}

/** `p`, `R`, `S` or `E`: id, size, payload. */
export function idFrame(type: 'p' | 'R' | 'S' | 'E', id: number, payload: Uint8Array, spec: SizeSpec = {}): Uint8Array {
  return concatBytes([latin1Bytes(type), idField(id), latin1Bytes(hexField(spec.declared ?? payload.length, 8, spec.upper)), payload]);
}

/** `e`: a retry result. */
export function retryFrame(id: number, wait: number, payload: Uint8Array, spec: SizeSpec = {}): Uint8Array {
  const fields = hexField(wait, 8, spec.upper) + hexField(spec.declared ?? payload.length, 8, spec.upper);
  return concatBytes([latin1Bytes('e'), idField(id), latin1Bytes(fields), payload]);
}

/** `n`: a notification; the name is raw bytes. */
export function notificationFrame(name: Uint8Array, payload: Uint8Array, spec: SizeSpec = {}): Uint8Array {
  const len = latin1Bytes('n' + hexField(name.length, 3, spec.upper));
  return concatBytes([len, name, latin1Bytes(hexField(spec.declared ?? payload.length, 8, spec.upper)), payload]);
}

/** `h`: a heartbeat. */
export function heartbeatFrame(load: number, time: number, upper = false): Uint8Array {
  return latin1Bytes('h' + hexField(load, 4, upper) + hexField(time, 8, upper));
}

/** `f`: a protocol error. */
export function protocolErrorFrame(code: number, upper = false): Uint8Array {
  return latin1Bytes('f' + hexField(code, 8, upper));
}

/** The version handshake, `01`. */
export const VERSION = latin1Bytes('01');

/**
 * A hex dump of `bytes` for failure reports: offset, 16 bytes in hex, and the printable ones as
 * text; past `max` bytes, only the first and last lines are shown.
 */
export function hexDump(bytes: Uint8Array, max = 1024): string {
  const lines: string[] = [];
  const line = (at: number) => {
    const row = bytes.subarray(at, at + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    return `  ${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${text}|`;
  };
  if (bytes.length <= max) {
    for (let at = 0; at < bytes.length; at += 16) lines.push(line(at));
  } else {
    const half = Math.floor(max / 32) * 16;
    for (let at = 0; at < half; at += 16) lines.push(line(at));
    lines.push(`  … ${bytes.length - 2 * half} bytes not shown …`);
    for (let at = bytes.length - half - (bytes.length % 16); at < bytes.length; at += 16) lines.push(line(at));
  }
  if (bytes.length === 0) lines.push('  (empty)');
  return lines.join('\n');
}

/** `bytes` as one hex string (for replaying an input). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
