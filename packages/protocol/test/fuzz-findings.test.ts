// Found by `pnpm fuzz` (issue 10, section 7), now fixed: when the bytes that a header's size
// depends on (r and s: type, id, name length, 8 bytes; n: type and name length, 4 bytes) ended
// exactly at the end of a pushed chunk, the decoder looked at them only once a further byte
// arrived. A bad name-length field there went unreported by that push, although the same bytes
// in one push are rejected: decoding depended on the chunking, and a peer sent such a header
// and nothing more stayed open with it.
import { describe, expect, it } from 'vitest';
import { CodecError, FrameDecoder } from '@gotalk/protocol';
import { bytes } from './vectors.ts';

/** The error `push` throws for `chunks` fed in order, or null. */
function codecErrorOf(chunks: readonly Uint8Array[]): CodecError | null {
  const decoder = new FrameDecoder();
  try {
    for (const chunk of chunks) decoder.push(chunk, () => {});
  } catch (err) {
    if (err instanceof CodecError) return err;
    throw err;
  }
  return null;
}

describe('a bad name length at the end of a chunk is noticed at once', () => {
  it('in one push, r0001 0x… is rejected at the name length (the reference behaviour)', () => {
    expect(codecErrorOf([bytes('r00010x0')])).toMatchObject({ code: 'INVALID_MESSAGE', offset: 5 });
  });

  it('r: the same 8 bytes in two pushes (r | 00010x0) are rejected too', () => {
    expect(codecErrorOf([bytes('r'), bytes('00010x0')])).toMatchObject({ code: 'INVALID_MESSAGE', offset: 5 });
  });

  it('s: 8 bytes with a binary id and a NUL name length, split after the id', () => {
    expect(codecErrorOf([bytes('s\x80\x00\x00\x02'), bytes('\x00\x00\x00')])).toMatchObject({ code: 'INVALID_MESSAGE', offset: 5 });
  });

  it('n: n1pa in two pushes (n | 1pa) is rejected as in one (n1pa)', () => {
    expect(codecErrorOf([bytes('n1pa')])).toMatchObject({ code: 'INVALID_MESSAGE', offset: 1 });
    expect(codecErrorOf([bytes('n'), bytes('1pa')])).toMatchObject({ code: 'INVALID_MESSAGE', offset: 1 });
  });
});
