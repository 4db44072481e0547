import type { ReplyFrame, RequestFrame, RequestId, StreamRequestFrame } from '@gotalk/protocol';
import type { GotalkError } from './errors.ts';

/** Why a connection closed. */
export type CloseReason =
  /** `close()` was called here. */
  | 'closed'
  /** `destroy()` was called here. */
  | 'destroyed'
  /** The other side ended the connection. */
  | 'remote'
  /** A protocol error, sent or received (`f` frame); see the error's `protocolCode`. */
  | 'protocol'
  /** Nothing arrived for the idle timeout. */
  | 'idle'
  /** The handshake did not complete in time. */
  | 'handshake'
  /** The transport failed. */
  | 'transport';

/** How a connection ended: the reason, and the error when it was not a clean close. */
export interface CloseInfo {
  readonly reason: CloseReason;
  readonly error: GotalkError | null;
}

/**
 * Events for logging and metrics. `in` means received from the other side, `out` sent to it.
 * Reply kinds: `result` (R), `part` (non-empty S), `end` (empty S), `error` (E), `retry` (e).
 */
export type ActivityEvent =
  | { readonly type: 'open' }
  | { readonly type: 'request'; readonly dir: 'in' | 'out'; readonly id: RequestId; readonly op: string; readonly stream: boolean; readonly size: number }
  | {
      readonly type: 'reply';
      readonly dir: 'in' | 'out';
      readonly id: RequestId;
      readonly kind: 'result' | 'part' | 'end' | 'error' | 'retry';
      readonly size: number;
    }
  | { readonly type: 'notification'; readonly dir: 'in' | 'out'; readonly name: string; readonly size: number }
  | { readonly type: 'heartbeat'; readonly dir: 'in' | 'out'; readonly load: number; readonly time: number }
  /** Something went wrong that did not close the connection: a handler threw, a frame was ignored or refused. */
  | { readonly type: 'error'; readonly error: Error; readonly id?: RequestId; readonly op?: string }
  | { readonly type: 'close'; readonly info: CloseInfo };

/** Receives activity events. It must not throw; if it does, the error is swallowed. */
export type ActivityListener = (event: ActivityEvent) => void;

/** Adds `listener` to `listeners`; returns the function that removes it again. */
export function subscribe(listeners: ActivityListener[], listener: ActivityListener): () => void {
  listeners.push(listener);
  return () => {
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  };
}

/** Gives `event` to each of `listeners`; a listener's failure is swallowed (it is not the connection's). */
export function deliver(listeners: readonly ActivityListener[], event: ActivityEvent): void {
  // A copy: a listener may unsubscribe (itself or another) while the event is being delivered.
  for (const l of [...listeners]) {
    try {
      l(event);
    } catch {
      // swallowed, as ActivityListener says
    }
  }
}

/** The `request` event of a request frame sent or received. */
export function requestEvent(dir: 'in' | 'out', frame: RequestFrame | StreamRequestFrame): ActivityEvent {
  return { type: 'request', dir, id: frame.id, op: frame.op, stream: frame.type === 's', size: frame.payload.length };
}

/** The `reply` event of a reply frame sent or received. */
export function replyEvent(dir: 'in' | 'out', frame: ReplyFrame): ActivityEvent {
  const kind = frame.type === 'R' ? 'result' : frame.type === 'E' ? 'error' : frame.type === 'e' ? 'retry' : frame.payload.length ? 'part' : 'end';
  return { type: 'reply', dir, id: frame.id, kind, size: frame.payload.length };
}
