/**
 * Gotalk v1 frames, as plain objects. Every field is documented from the wire format
 * (see docs/protocol.md). The decoder produces these and the encoder consumes them.
 */

/**
 * A request id: the 4 opaque bytes of the wire field, read as a big-endian uint32
 * (`0x00000000`..`0xffffffff`). Any 4 bytes are a valid id; converting to a number is
 * lossless and makes ids cheap to compare and to use as map keys.
 */
export type RequestId = number;

/** `r`: a single request. Answered by `R`, `E` or `e` (or `S` parts: the spec allows mixing). */
export interface RequestFrame {
  readonly type: 'r';
  readonly id: RequestId;
  /** The operation name: UTF-8, 1..4095 bytes. */
  readonly op: string;
  readonly payload: Uint8Array;
}

/** `s`: the first part of a stream request (its payload may be empty; that does not end it). */
export interface StreamRequestFrame {
  readonly type: 's';
  readonly id: RequestId;
  readonly op: string;
  readonly payload: Uint8Array;
}

/** `p`: a further part of a stream request; an empty payload ends the stream. */
export interface StreamPartFrame {
  readonly type: 'p';
  readonly id: RequestId;
  readonly payload: Uint8Array;
}

/** `R`: a single result. */
export interface ResultFrame {
  readonly type: 'R';
  readonly id: RequestId;
  readonly payload: Uint8Array;
}

/** `S`: a part of a stream result; an empty payload ends the stream. */
export interface StreamResultFrame {
  readonly type: 'S';
  readonly id: RequestId;
  readonly payload: Uint8Array;
}

/** `E`: an error result (the requestor's fault). The payload is plain UTF-8 text. */
export interface ErrorFrame {
  readonly type: 'E';
  readonly id: RequestId;
  readonly payload: Uint8Array;
}

/** `e`: a retry result (the responder's fault): try again with a new id after `wait` ms. */
export interface RetryFrame {
  readonly type: 'e';
  readonly id: RequestId;
  /** Milliseconds to wait before retrying, 0..0xffffffff; 0 means "whenever you like". */
  readonly wait: number;
  readonly payload: Uint8Array;
}

/** `n`: a notification; no reply. */
export interface NotificationFrame {
  readonly type: 'n';
  /** The notification name: UTF-8, 1..4095 bytes. */
  readonly name: string;
  readonly payload: Uint8Array;
}

/** `h`: a heartbeat. */
export interface HeartbeatFrame {
  readonly type: 'h';
  /** The sender's load, 0 (idle) .. 0xffff (saturated). */
  readonly load: number;
  /** The sender's clock in Unix seconds (UTC), 0..0xffffffff. */
  readonly time: number;
}

/** `f`: a protocol error; its sender closes the connection right after it. */
export interface ProtocolErrorFrame {
  readonly type: 'f';
  /** One of {@link ProtocolErrorCode}, or any other uint32 a peer sent. */
  readonly code: number;
}

/** The version handshake: two hex digits each side sends first. Only version 1 exists. */
export interface VersionFrame {
  readonly type: 'version';
  readonly version: number;
}

/** Frames that answer a request and carry its id. */
export type ReplyFrame = ResultFrame | StreamResultFrame | ErrorFrame | RetryFrame;

/** Frames that carry a payload. */
export type PayloadFrame = RequestFrame | StreamRequestFrame | StreamPartFrame | ReplyFrame | NotificationFrame;

/** Every frame that can appear after the version handshake. */
export type Frame = PayloadFrame | HeartbeatFrame | ProtocolErrorFrame;

/** A wire type letter. */
export type FrameType = Frame['type'];

/**
 * What the decoder reports for a frame whose declared payload exceeds its maximum: the
 * frame's header (with an empty payload) and the declared size. The payload bytes are skipped,
 * never buffered, so the connection can go on; the peer answers that one request with an error.
 */
export interface OversizeFrame {
  readonly type: 'oversize';
  /** The header of the offending frame, with `payload` empty. */
  readonly frame: PayloadFrame;
  /** The payload size the header declared, in bytes. */
  readonly size: number;
}

/**
 * What the decoder reports for a frame whose payload its `admit` option declined (a memory
 * budget, say): the header (with an empty payload) and the declared size. The payload bytes
 * were skipped, never buffered.
 */
export interface RefusedFrame {
  readonly type: 'refused';
  /** The header of the refused frame, with `payload` empty. */
  readonly frame: PayloadFrame;
  /** The payload size the header declared, in bytes. */
  readonly size: number;
}

/** Everything {@link FrameDecoder} emits. */
export type DecodedFrame = Frame | VersionFrame | OversizeFrame | RefusedFrame;

/** Codes carried by `f` frames. */
export const ProtocolErrorCode = {
  abnormal: 0,
  unsupported: 1,
  invalid: 2,
  timeout: 3,
} as const;

/** The only protocol version there is. */
export const PROTOCOL_VERSION = 1;

/** The largest op or notification name in UTF-8 bytes (3 hex digits). */
export const MAX_NAME_BYTES = 0xfff;

/** The largest payload size the wire can declare (8 hex digits). */
export const MAX_WIRE_PAYLOAD = 0xffffffff;

/** The default maximum payload a decoder accepts: 8 MiB. */
export const DEFAULT_MAX_PAYLOAD = 8 * 1024 * 1024;
