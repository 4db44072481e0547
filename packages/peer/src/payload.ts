// Payload conversions shared by requests, handlers and notifications.
import { GotalkError } from './errors.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** A shared empty payload. Never written to. */
export const EMPTY = new Uint8Array(0);

/**
 * UTF-8 bytes of `text`. Short ASCII text (most JSON payloads and error texts) is copied by a
 * plain loop, several times faster than a TextEncoder call at these sizes; anything else goes
 * to the TextEncoder.
 */
export function utf8(text: string): Uint8Array {
  const n = text.length;
  if (n === 0) return EMPTY;
  if (n > 512) return encoder.encode(text);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(text);
    out[i] = c;
  }
  return out;
}

/** The text of UTF-8 `bytes` (invalid sequences become U+FFFD). */
export function text(bytes: Uint8Array): string {
  return bytes.length === 0 ? '' : decoder.decode(bytes);
}

/** JSON bytes of `value`; `undefined` encodes as `null` (what the Go peer sends for "no value"). */
export function toJson(value: unknown): Uint8Array {
  return utf8(value === undefined ? 'null' : JSON.stringify(value));
}

/** Bounds on JSON to parse: its size and its nesting of arrays and objects. */
export interface JsonLimits {
  readonly maxJsonBytes: number;
  readonly maxJsonDepth: number;
}

/**
 * The value of JSON `bytes`; an empty payload is `undefined` (the Go peer sends an empty
 * result for a handler that returns nothing). Throws SyntaxError on bad JSON. With `limits`,
 * JSON over `maxJsonBytes` or nested deeper than `maxJsonDepth` throws `JSON_TOO_LARGE` or
 * `JSON_TOO_DEEP` before the parser runs.
 */
export function fromJson(bytes: Uint8Array, limits?: JsonLimits): unknown {
  if (bytes.length === 0) return undefined;
  if (limits) checkJson(bytes, limits);
  return JSON.parse(decoder.decode(bytes));
}

/**
 * Throws `JSON_TOO_LARGE` or `JSON_TOO_DEEP` for JSON bytes past `limits`. The depth is
 * counted in one pass over the bytes, skipping strings, and only when the payload is longer
 * than the depth allowed (a shorter one cannot nest deeper): a bracket bomb costs its length
 * in a loop, never the parser's time and memory.
 */
export function checkJson(bytes: Uint8Array, limits: JsonLimits): void {
  const n = bytes.length;
  if (n > limits.maxJsonBytes)
    throw new GotalkError('JSON_TOO_LARGE', `JSON of ${n} bytes exceeds the limit of ${limits.maxJsonBytes} bytes (limits.maxJsonBytes)`);
  const max = limits.maxJsonDepth;
  if (n <= max) return;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === 0x22) {
      // A string: walk to its closing quote past escaped characters; the rest of a long one
      // is left to the engine's own search.
      const open = i;
      for (i++; i < n; i++) {
        const d = bytes[i]!;
        if (d === 0x22) break;
        if (d === 0x5c) i++;
        else if (i - open > 32) {
          i = closingQuote(bytes, i);
          break;
        }
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) throw new GotalkError('JSON_TOO_DEEP', `JSON nested deeper than ${max} levels (limits.maxJsonDepth)`);
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

/**
 * The index of the first unescaped quote at or after `from`, inside a string (the length of
 * `bytes` when there is none): a quote counts when an even run of backslashes precedes it.
 */
function closingQuote(bytes: Uint8Array, from: number): number {
  for (let at = bytes.indexOf(0x22, from); at !== -1; at = bytes.indexOf(0x22, at + 1)) {
    let slashes = 0;
    while (bytes[at - 1 - slashes] === 0x5c) slashes++;
    if ((slashes & 1) === 0) return at;
  }
  return bytes.length;
}

/** The bytes of `parts` back to back. */
export function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A readable line for an error thrown by a handler: its message, never its stack. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
