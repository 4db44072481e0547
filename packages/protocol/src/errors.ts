/**
 * Stable codes of {@link CodecError}. Code on them, not on messages.
 * - `INVALID_MESSAGE`: bytes that are not a Gotalk frame (unknown type, bad hex, empty name).
 * - `UNSUPPORTED_VERSION`: a version handshake other than `01`.
 * - `PAYLOAD_TOO_LARGE`: the encoder was given a payload longer than the wire allows (0xffffffff bytes).
 *   (A decoder never raises it: an oversize frame is reported as an `oversize` frame.)
 * - `INVALID_FIELD`: a frame given to the encoder has a field out of its wire range.
 */
export type CodecErrorCode = 'INVALID_MESSAGE' | 'UNSUPPORTED_VERSION' | 'PAYLOAD_TOO_LARGE' | 'INVALID_FIELD';

/** The one error type of the codec. `offset` is the stream byte offset where decoding failed (-1 when encoding). */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly code: CodecErrorCode;
  readonly offset: number;

  constructor(code: CodecErrorCode, message: string, offset = -1) {
    super(offset >= 0 ? `${message} (at byte ${offset})` : message);
    this.code = code;
    this.offset = offset;
  }
}
