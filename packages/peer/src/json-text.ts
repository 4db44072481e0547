// JSON text of a value, the same text as JSON.stringify's, faster for values carrying long strings.

/** Strings at least this long are worth passing through {@link quoteLong} instead of the engine's escaping. */
export const LONG_STRING = 256;

/** Entries of the top level looked at for a long string before choosing a path. */
const LOOK = 8;

/** Nesting beyond which the plain walk gives up (and JSON.stringify reports a cycle, if there is one). */
const MAX_WALK_DEPTH = 64;

/** The 32 control characters, each a string of its own, for the engine's single-character search. */
const CONTROLS = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c));

type WellFormed = { isWellFormed?: () => boolean };

/**
 * The JSON text of `value`, exactly what `JSON.stringify(value)` returns (`undefined` for what it
 * cannot encode). On Node 20 the engine escapes a string character by character, about 3 ns
 * each; when the value is or holds at its top level a string of {@link LONG_STRING} characters or
 * more, the value is written by a walk of plain data (plain objects, arrays, strings, finite
 * numbers, booleans, null) that quotes each long string with the engine's own search for the
 * characters JSON escapes: several times faster for a 64 KiB string. Anything else (a class
 * instance, `toJSON`, a bigint, deep nesting) goes to JSON.stringify unchanged. One difference
 * shows only with getters that have side effects: an own getter among the first entries of the
 * top level is read twice (once to look for a long string, once to write), where JSON.stringify
 * reads it once.
 */
export function jsonText(value: unknown): string | undefined {
  if (hasLongString(value)) {
    const text = plain(value, 0);
    if (text !== undefined) return text;
  }
  return JSON.stringify(value);
}

function hasLongString(value: unknown): boolean {
  if (typeof value === 'string') return value.length >= LONG_STRING;
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && i < LOOK; i++) if (isLong(value[i])) return true;
    return false;
  }
  let seen = 0;
  for (const k in value) {
    if (isLong((value as Record<string, unknown>)[k])) return true;
    if (++seen === LOOK) return false;
  }
  return false;
}

const isLong = (v: unknown): boolean => typeof v === 'string' && v.length >= LONG_STRING;

/** The JSON text of plain data, or undefined where JSON.stringify must decide. */
function plain(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case 'string':
      return v.length >= LONG_STRING ? quoteLong(v) : JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (v === null) return 'null';
      if (depth === MAX_WALK_DEPTH || typeof (v as { toJSON?: unknown }).toJSON === 'function') return undefined;
      return Array.isArray(v) ? plainArray(v, depth + 1) : plainObject(v, depth + 1);
    default:
      return undefined;
  }
}

/** An element JSON.stringify writes as null: undefined, a function, a symbol. */
const isNothing = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol';

function plainArray(a: readonly unknown[], depth: number): string | undefined {
  let out = '[';
  for (let i = 0; i < a.length; i++) {
    const e = a[i];
    const t = isNothing(e) ? 'null' : plain(e, depth);
    if (t === undefined) return undefined;
    out += i === 0 ? t : `,${t}`;
  }
  return `${out}]`;
}

function plainObject(o: object, depth: number): string | undefined {
  const proto = Object.getPrototypeOf(o) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  let out = '{';
  let first = true;
  for (const k of Object.keys(o)) {
    const e = (o as Record<string, unknown>)[k];
    if (isNothing(e)) continue;
    const t = plain(e, depth);
    if (t === undefined) return undefined;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${t}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * A long string in quotes: as it is when it holds nothing JSON escapes (a quote, a backslash, a
 * control character, a lone surrogate), found by the engine's single-character search (memchr
 * speed) rather than a loop; otherwise JSON.stringify's escaping.
 */
export function quoteLong(s: string): string {
  if (s.indexOf('"') !== -1 || s.indexOf('\\') !== -1) return JSON.stringify(s);
  for (const c of CONTROLS) if (s.indexOf(c) !== -1) return JSON.stringify(s);
  const wellFormed = (s as WellFormed).isWellFormed;
  // Without isWellFormed (older engines), any surrogate sends the string to JSON.stringify.
  if (wellFormed ? !wellFormed.call(s) : /[\ud800-\udfff]/.test(s)) return JSON.stringify(s);
  return `"${s}"`;
}
