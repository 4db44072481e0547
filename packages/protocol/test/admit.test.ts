// The decoder's `admit` option, as a function or as an object's method: a declined payload is
// skipped unbuffered and reported as refused; the frames around it decode as usual.
import { describe, expect, test } from 'vitest';
import { encodeFrames, FrameDecoder, type Admission, type DecodedFrame, type DecoderOptions } from '@gotalk/protocol';

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = encodeFrames([
  { type: 'r', id: 1, op: 'keep', payload: utf8('small') },
  { type: 'r', id: 2, op: 'drop', payload: new Uint8Array(1000).fill(120) },
  { type: 'n', name: 'note', payload: utf8('hi') },
]);

function decode(admit: NonNullable<DecoderOptions['admit']>, chunk: number): DecodedFrame[] {
  const decoder = new FrameDecoder({ admit });
  const out: DecodedFrame[] = [];
  for (let at = 0; at < bytes.length; at += chunk) decoder.push(bytes.subarray(at, at + chunk), (f) => out.push(f));
  expect(decoder.idle).toBe(true);
  expect(decoder.bufferedBytes).toBe(0);
  return out;
}

describe.each([1, 7, 4096])('chunks of %i bytes', (chunk) => {
  test('a function decides per frame, from its letter, id and size', () => {
    const asked: [string, number, number][] = [];
    const frames = decode((type, id, size) => {
      asked.push([type, id, size]);
      return size < 100;
    }, chunk);
    expect(asked).toEqual([
      ['r', 1, 5],
      ['r', 2, 1000],
      ['n', 0, 2],
    ]);
    expect(frames.map((f) => f.type)).toEqual(['r', 'refused', 'n']);
    const refused = frames[1] as Extract<DecodedFrame, { type: 'refused' }>;
    expect(refused.size).toBe(1000);
    expect(refused.frame).toMatchObject({ type: 'r', id: 2, op: 'drop' });
  });

  test("an object's admit method is called on the object", () => {
    class Budget implements Admission {
      left = 500;
      admit(_type: string, _id: number, size: number): boolean {
        if (size > this.left) return false;
        this.left -= size;
        return true;
      }
    }
    const budget = new Budget();
    const frames = decode(budget, chunk);
    expect(frames.map((f) => f.type)).toEqual(['r', 'refused', 'n']);
    expect(budget.left).toBe(493);
  });
});
