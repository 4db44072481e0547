/**
 * @gotalk/protocol: the Gotalk v1 wire codec. Pure functions and a streaming decoder;
 * no I/O, no runtime-specific APIs, no dependencies.
 */
export type {
  DecodedFrame,
  ErrorFrame,
  Frame,
  FrameType,
  HeartbeatFrame,
  NotificationFrame,
  OversizeFrame,
  PayloadFrame,
  ProtocolErrorFrame,
  RefusedFrame,
  ReplyFrame,
  RequestFrame,
  RequestId,
  ResultFrame,
  RetryFrame,
  StreamPartFrame,
  StreamRequestFrame,
  StreamResultFrame,
  VersionFrame,
} from './frame.ts';
export { DEFAULT_MAX_PAYLOAD, MAX_NAME_BYTES, MAX_WIRE_PAYLOAD, PROTOCOL_VERSION, ProtocolErrorCode } from './frame.ts';
export { CodecError, type CodecErrorCode } from './errors.ts';
export { encodeFrame, encodeFrames, encodeVersion, frameSize, writeFrame, writeHeader } from './encode.ts';
export { decodeAll, FrameDecoder, MAX_HEADER_BYTES, type Admission, type DecoderOptions, type FrameSink } from './decode.ts';
export { describeFrame, formatId } from './describe.ts';
export { isValidName, quoteName, utf8Length } from './names.ts';
export { allocBytes } from './slab.ts';
export { isCleanClose, MESSAGE_CHUNK, messageLimit, sendInChunks } from './messages.ts';
