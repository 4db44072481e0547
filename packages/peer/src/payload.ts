// Payload conversions shared by requests, handlers and notifications.
import { allocBytes } from '@gotalk/protocol';
import { GotalkError } from './errors.ts';
import { jsonText } from './json-text.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** A shared empty payload. Never written to. */
export const EMPTY = new Uint8Array(0);

/**
 * UTF-8 bytes of `text`. Short ASCII text (most JSON payloads and error texts) is copied by a
 * plain loop, several times faster than a TextEncoder call at these sizes; longer text is
 * encoded by `encodeInto` into a buffer of its length (exact for ASCII, the common case, and
 * cheaper than `encode`, which sizes its output first), continuing into a larger one from the
 * first character that did not fit. Text of up to 4 KiB may share its buffer with other
 * short-lived bytes (see `allocBytes`): to keep the bytes for long, keep a copy (`slice()`).
 */
export function utf8(text: string): Uint8Array {
  const n = text.length;
  if (n === 0) return EMPTY;
  if (n > 256) return encodeLong(text);
  const out = allocBytes(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(text);
    out[i] = c;
  }
  return out;
}

function encodeLong(text: string): Uint8Array {
  const n = text.length;
  const out = allocBytes(n);
  const { read, written } = encoder.encodeInto(text, out);
  if (read === n) return out;
  // Each UTF-16 code unit left takes at most 3 bytes (a surrogate pair: 4 bytes for 2 units).
  const rest = text.slice(read);
  const more = new Uint8Array(written + rest.length * 3);
  more.set(out.subarray(0, written));
  return more.subarray(0, written + encoder.encodeInto(rest, more.subarray(written)).written);
}

/** The text of UTF-8 `bytes` (invalid sequences become U+FFFD). */
export function text(bytes: Uint8Array): string {
  return bytes.length === 0 ? '' : decoder.decode(bytes);
}

/**
 * JSON bytes of `value`; `undefined` encodes as `null` (what the Go peer sends for "no value").
 * Like {@link utf8}'s, bytes to keep for long are best copied.
 */
export function toJson(value: unknown): Uint8Array {
  return utf8(value === undefined ? 'null' : (jsonText(value) as string));
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
  if (limits) checkSize(bytes.length, limits);
  const json = decoder.decode(bytes);
  if (limits && bytes.length > limits.maxJsonDepth) checkDepth(json, limits.maxJsonDepth);
  return JSON.parse(json);
}

/**
 * Throws `JSON_TOO_LARGE` or `JSON_TOO_DEEP` for JSON bytes past `limits`. The depth is
 * counted in one pass over the text, skipping strings, and only when the payload is longer
 * than the depth allowed (a shorter one cannot nest deeper): a bracket bomb costs its length
 * in a loop, never the parser's time and memory.
 */
export function checkJson(bytes: Uint8Array, limits: JsonLimits): void {
  checkSize(bytes.length, limits);
  if (bytes.length > limits.maxJsonDepth) checkDepth(decoder.decode(bytes), limits.maxJsonDepth);
}

function checkSize(n: number, limits: JsonLimits): void {
  if (n > limits.maxJsonBytes)
    throw new GotalkError('JSON_TOO_LARGE', `JSON of ${n} bytes exceeds the limit of ${limits.maxJsonBytes} bytes (limits.maxJsonBytes)`);
}

/**
 * Throws `JSON_TOO_DEEP` when arrays and objects in `json` nest deeper than `max`. Counted on
 * the decoded text (brackets, quotes and backslashes are ASCII, which UTF-8 never hides inside
 * another character), so that the rest of a long string is left to the engine's string search
 * for its closing quote, several times faster than any loop over bytes.
 */
function checkDepth(json: string, max: number): void {
  const n = json.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) {
      // A string: walk to its closing quote past escaped characters; the rest of a long one
      // is left to the engine's own search.
      const open = i;
      for (i++; i < n; i++) {
        const d = json.charCodeAt(i);
        if (d === 0x22) break;
        if (d === 0x5c) i++;
        else if (i - open > 32) {
          i = closingQuote(json, i);
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
 * `json` when there is none): a quote counts when an even run of backslashes precedes it.
 */
function closingQuote(json: string, from: number): number {
  for (let at = json.indexOf('"', from); at !== -1; at = json.indexOf('"', at + 1)) {
    let slashes = 0;
    while (json.charCodeAt(at - 1 - slashes) === 0x5c) slashes++;
    if ((slashes & 1) === 0) return at;
  }
  return json.length;
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
