import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { fromJson, toJson } from '@gotalk/peer';
import { jsonText, LONG_STRING, quoteLong } from '../src/json-text.ts';

const long = (fill: string, n = LONG_STRING + 5) => fill.repeat(Math.ceil(n / fill.length)).slice(0, n);

/** Long strings, each with at most one character JSON must escape (or none), anywhere in it. */
const longString = fc
  .tuple(
    fc.integer({ min: LONG_STRING, max: LONG_STRING * 3 }),
    fc.constantFrom('', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', 'é', '😀', '\ud800', '\udc00', '\u2028'),
    fc.nat(),
  )
  .map(([n, odd, at]) => {
    const base = long('abcxyz 012', n);
    const i = at % (n + 1);
    return base.slice(0, i) + odd + base.slice(i);
  });

/** Values of every kind JSON.stringify meets, long strings among them at the top level and deeper. */
const anyValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    longString,
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(() => 1),
    fc.constant(Symbol('s')),
    fc.date({ noInvalidDate: true }),
    fc.constant({ toJSON: () => 'custom' }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), { maxKeys: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 5, noNullPrototype: false }),
  ),
}));

describe('jsonText', () => {
  test("is JSON.stringify's text for any value, with or without long strings", () => {
    fc.assert(
      fc.property(anyValue.value, (v) => {
        expect(jsonText(v)).toBe(JSON.stringify(v));
        expect(jsonText({ data: v, more: long('q') })).toBe(JSON.stringify({ data: v, more: long('q') }));
        expect(jsonText([long('w'), v])).toBe(JSON.stringify([long('w'), v]));
      }),
      { numRuns: 400 },
    );
  });

  test('quotes a long string as it is only when nothing in it needs escaping', () => {
    fc.assert(
      fc.property(longString, (s) => {
        expect(quoteLong(s)).toBe(JSON.stringify(s));
      }),
      { numRuns: 500 },
    );
    const plain = long('abc');
    expect(quoteLong(plain)).toBe(`"${plain}"`);
  });

  test('gives way to JSON.stringify for what a plain walk cannot decide: toJSON, class instances, bigints, cycles', () => {
    const s = long('z');
    class Point {
      constructor(readonly x: number) {}
    }
    expect(jsonText({ s, when: new Date(0) })).toBe(JSON.stringify({ s, when: new Date(0) }));
    expect(jsonText({ s, p: new Point(1) })).toBe(JSON.stringify({ s, p: new Point(1) }));
    expect(jsonText({ s, n: new Number(3), t: new String('t') })).toBe(JSON.stringify({ s, n: new Number(3), t: new String('t') }));
    expect(jsonText({ s, toJSON: () => 7 })).toBe('7');
    expect(jsonText([s, Infinity, NaN, -0, undefined, () => 1])).toBe(JSON.stringify([s, Infinity, NaN, -0, undefined, () => 1]));
    expect(() => jsonText({ s, big: 1n })).toThrow(TypeError);
    const cycle: Record<string, unknown> = { s };
    cycle['self'] = cycle;
    expect(() => jsonText(cycle)).toThrow(TypeError);
    let deep: unknown = s;
    for (let i = 0; i < 200; i++) deep = [deep];
    expect(jsonText({ s, deep })).toBe(JSON.stringify({ s, deep }));
  });

  test('a long string reaches the other side whole through toJson and fromJson', () => {
    const value = { data: long('0123456789', 70_000), n: 1 };
    expect(fromJson(toJson(value))).toEqual(value);
  });
});
