import { MAX_HEADER_BYTES } from './decode.ts';

/**
 * Over a message-based transport (WebSocket), Gotalk is read as one byte stream, so a sender
 * may cut its bytes into messages anywhere. Ours send at most this many bytes per message, so
 * that a receiver can bound the size of the messages it buffers whole.
 */
export const MESSAGE_CHUNK = 1024 * 1024;

/**
 * The largest incoming message a receiver with payload limit `maxPayload` should accept: one
 * whole frame (a peer such as the Go server sends each payload as one message), and never less
 * than one {@link MESSAGE_CHUNK} plus a header.
 */
export function messageLimit(maxPayload: number): number {
  return Math.max(maxPayload, MESSAGE_CHUNK) + MAX_HEADER_BYTES;
}

/** Calls `send` with `bytes` cut into pieces of at most {@link MESSAGE_CHUNK} bytes (views, no copies). */
export function sendInChunks(bytes: Uint8Array, send: (piece: Uint8Array) => void): void {
  if (bytes.length <= MESSAGE_CHUNK) return send(bytes);
  for (let at = 0; at < bytes.length; at += MESSAGE_CHUNK) send(bytes.subarray(at, at + MESSAGE_CHUNK));
}

/**
 * True when a WebSocket closed with `code` ended the Gotalk connection cleanly: 1000 (normal),
 * 1001 (going away: a server shutting down), 1005 (no code given) or 1012 (service restart). Any
 * other code is an abnormal end. The one list for every WebSocket transport.
 */
export function isCleanClose(code: number): boolean {
  return code === 1000 || code === 1001 || code === 1005 || code === 1012;
}
