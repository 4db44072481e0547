import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { fromJson, toJson, utf8 } from '@gotalk/peer';

const encoder = new TextEncoder();

describe('utf8', () => {
  test("gives TextEncoder's bytes for any text, short or long, ASCII or not, lone surrogates included", () => {
    const piece = fc.oneof(
      fc.constant('a'.repeat(600)),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('\ud800', '\udc00', 'é', '€', '😀', '"\\'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const s = pieces.join('');
        expect(Array.from(utf8(s))).toEqual(Array.from(encoder.encode(s)));
      }),
      { numRuns: 300 },
    );
  });

  test('long text whose first character past ASCII sits at the end of the first buffer', () => {
    for (const tail of ['é', '€', '😀', '\ud800']) {
      const s = 'a'.repeat(1000 - 1) + tail + 'b'.repeat(10);
      expect(Array.from(utf8(s))).toEqual(Array.from(encoder.encode(s)));
    }
  });
});

describe('toJson and fromJson', () => {
  test('round-trip JSON values of any size through the limits', () => {
    const limits = { maxJsonBytes: 1 << 20, maxJsonDepth: 16 };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.string({ unit: 'binary', maxLength: 2000 }), (value, s) => {
        const doc = [value, s];
        expect(fromJson(toJson(doc), limits)).toEqual(JSON.parse(JSON.stringify(doc)));
      }),
      { numRuns: 200 },
    );
  });
});
