import type { RequestId } from '@gotalk/protocol';

/**
 * The name of the notification that carries the cancel extension (docs/protocol.md): "I gave up
 * on my request with this id; stop working on it". Reserved: a peer acts on it and never hands
 * it to a handler. Peers that do not know it ignore it, as they ignore any notification they
 * have no handler for (the Go reference and gotalk.js do).
 */
export const CANCEL_NOTIFICATION = '$cancel';

/** The payload of a cancel: the 4 id bytes, exactly as they stood in the request's header. */
export function cancelPayload(id: RequestId): Uint8Array {
  return Uint8Array.of(id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
}

/** The id a cancel's payload names, or -1 when the payload is not 4 bytes (then it is ignored). */
export function cancelledId(payload: Uint8Array): RequestId {
  if (payload.length !== 4) return -1;
  return ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0;
}
