import { MAX_NAME_BYTES, utf8Length } from '@gotalk/protocol';

/**
 * Stable codes of {@link GotalkError}; code on these, never on messages.
 * - `REMOTE_ERROR`: the other side answered with an error result (`E`); the message is its text.
 * - `TIMEOUT`: a request's time ran out, or the connection idled out / never finished its handshake.
 * - `ABORTED`: the caller's AbortSignal fired.
 * - `CLOSED`: the connection is closed or closing, so the request cannot complete.
 * - `PROTOCOL_ERROR`: the bytes broke the protocol, or the other side sent an `f` frame.
 * - `PAYLOAD_TOO_LARGE`: a payload over the configured maximum, sent or received.
 * - `VALIDATION`: a value did not match an operation's schema.
 * - `RETRY_EXHAUSTED`: the responder kept asking to retry past the allowed attempts, or asked when a
 *   retry was no longer possible (after result parts, or too much stream input to resend).
 * - `ID_EXHAUSTED`: the connection has used up its stream request ids; open a new one.
 * - `INVALID_NAME`: an op or notification name is empty or over 4095 UTF-8 bytes, so it cannot be sent.
 * - `INVALID_JSON`: a result (or a result part) of a JSON request is not JSON.
 * - `JSON_TOO_LARGE`: JSON longer than `limits.maxJsonBytes`, refused before parsing.
 * - `JSON_TOO_DEEP`: JSON nested deeper than `limits.maxJsonDepth`, refused before parsing.
 * - `OVER_BUDGET`: a payload did not fit in the memory budget shared by the server's connections;
 *   a request refused so is answered with a retry result.
 * - `MEMBER_BEHIND`: a broadcast or a gather left out a member whose unsent bytes were past the
 *   audience's `maxUnsent` (it does not read what it is sent); with `behind: 'close'` it is also
 *   the error its connection was closed with.
 * - `GROUP_LIMIT`: a connection asked to join more groups than `maxGroupsPerMember`.
 * - `INVALID_GROUP`: a group name that is not a string of 1..256 characters.
 */
export type GotalkErrorCode =
  | 'REMOTE_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CLOSED'
  | 'PROTOCOL_ERROR'
  | 'PAYLOAD_TOO_LARGE'
  | 'VALIDATION'
  | 'RETRY_EXHAUSTED'
  | 'ID_EXHAUSTED'
  | 'INVALID_NAME'
  | 'INVALID_JSON'
  | 'JSON_TOO_LARGE'
  | 'JSON_TOO_DEEP'
  | 'OVER_BUDGET'
  | 'MEMBER_BEHIND'
  | 'GROUP_LIMIT'
  | 'INVALID_GROUP';

/**
 * The one root of every Gotalk error: each layer's errors extend it with that layer's codes
 * (`@gotalk/peer`: {@link GotalkErrorCode}; `@gotalk/node`: `NodeError`; `@gotalk/browser`:
 * `BrowserError`), so `instanceof GotalkError` catches them all and `code` tells them apart.
 * Every rejection and close reason of `@gotalk/peer` is one of these.
 */
export class GotalkError<C extends string = string> extends Error {
  override name = 'GotalkError';
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The `INVALID_NAME` error for an op or notification name the wire cannot carry (not a string,
 * empty, or over 4095 UTF-8 bytes); null for a good name. Cheap for the usual short names.
 */
export function invalidName(name: string, what: 'op' | 'notification'): GotalkError<'INVALID_NAME'> | null {
  if (typeof name !== 'string') return new GotalkError('INVALID_NAME', `${what} name must be a string, got ${typeof name}`);
  // 1365 UTF-16 units are at most 4095 UTF-8 bytes: only longer names need counting.
  const n = name.length <= 1365 ? name.length : utf8Length(name);
  if (n > 0 && n <= MAX_NAME_BYTES) return null;
  return new GotalkError('INVALID_NAME', `${what} name must be 1..${MAX_NAME_BYTES} UTF-8 bytes, got ${n}`);
}

/** What a {@link RemoteError} may carry besides its message. */
export interface RemoteErrorDetails {
  /** The application's code (`NOT_FOUND`, `NOT_ALLOWED`…); `REMOTE_ERROR` when none was given. */
  readonly code?: string;
  /** Anything JSON the caller may use (which field was wrong, a limit, a retry hint…). */
  readonly data?: unknown;
}

/**
 * An error result (`E`). A caller receives it: `message` is the text the other side sent, and
 * `code` and `data` what a handler gave it (the structured error extension, docs/protocol.md),
 * or `REMOTE_ERROR` and undefined for a plain text error (the Go reference, gotalk.js). A
 * handler throws one to answer with a code and data the caller can branch on:
 * `throw new RemoteError('no user 42', { code: 'NOT_FOUND', data: { id: 42 } })`.
 */
export class RemoteError extends GotalkError<string> {
  override name = 'RemoteError';
  /** The data the handler attached, if any. */
  readonly data: unknown;
  constructor(message: string, details: RemoteErrorDetails = {}) {
    super(details.code ?? 'REMOTE_ERROR', message);
    this.data = details.data;
  }
}

/** A deadline passed: a request timeout, an idle timeout or a handshake timeout. */
export class TimeoutError extends GotalkError<GotalkErrorCode> {
  override name = 'TimeoutError';
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}

/** The caller aborted (`cause` is the signal's reason), or, to a handler, the requestor cancelled. */
export class AbortedError extends GotalkError<GotalkErrorCode> {
  override name = 'AbortedError';
  constructor(reason?: unknown, message = 'the request was aborted') {
    super('ABORTED', message, { cause: reason });
  }
}

/** The connection is closed (or closing); `cause` says why when known. */
export class ClosedError extends GotalkError<GotalkErrorCode> {
  override name = 'ClosedError';
  constructor(message = 'the connection is closed', cause?: unknown) {
    super('CLOSED', message, cause === undefined ? undefined : { cause });
  }
}

/**
 * The protocol was broken. `protocolCode` is the code of the `f` frame sent or received
 * (0 abnormal, 1 unsupported version, 2 invalid message, 3 timeout).
 */
export class ProtocolError extends GotalkError<GotalkErrorCode> {
  override name = 'ProtocolError';
  readonly protocolCode: number;
  readonly remote: boolean;
  constructor(message: string, protocolCode: number, remote: boolean, cause?: unknown) {
    super('PROTOCOL_ERROR', message, cause === undefined ? undefined : { cause });
    this.protocolCode = protocolCode;
    this.remote = remote;
  }
}

/** A payload over the configured maximum. */
export class PayloadTooLargeError extends GotalkError<GotalkErrorCode> {
  override name = 'PayloadTooLargeError';
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number) {
    super('PAYLOAD_TOO_LARGE', `payload of ${size} bytes exceeds the limit of ${limit} bytes`);
    this.size = size;
    this.limit = limit;
  }
}

/** One schema complaint: where (`path`, e.g. `user.name`) and what. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** A value did not match a schema. `where` is `input`, `output` or `notification`. */
export class ValidationError extends GotalkError<GotalkErrorCode> {
  override name = 'ValidationError';
  readonly issues: readonly ValidationIssue[];
  constructor(where: string, issues: readonly ValidationIssue[]) {
    const text = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('VALIDATION', `invalid ${where}: ${text}`);
    this.issues = issues;
  }
}

/** The responder asked to retry more times than allowed, or when a retry was no longer possible. `wait` is its last requested wait in ms. */
export class RetryExhaustedError extends GotalkError<GotalkErrorCode> {
  override name = 'RetryExhaustedError';
  readonly wait: number;
  readonly attempts: number;
  constructor(attempts: number, wait: number, text: string) {
    super('RETRY_EXHAUSTED', `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${text || 'retry requested'}`);
    this.wait = wait;
    this.attempts = attempts;
  }
}

/**
 * Thrown by a handler (or via `ctx.retry()`) to answer with a retry result: the requestor
 * should try again after `wait` ms. Not an error of this peer; it becomes an `e` frame.
 */
export class RetryLater extends Error {
  override name = 'RetryLater';
  readonly wait: number;
  constructor(wait = 0, message = 'retry later') {
    super(message);
    this.wait = Math.max(0, Math.min(0xffffffff, Math.round(wait)));
  }
}

/**
 * Stable codes of {@link ClientError}, the reconnecting client's own:
 * - `OFFLINE`: a request was made while disconnected, with `offline: 'fail'`.
 * - `QUEUE_FULL`: a request was made while disconnected and `queueLimit` requests already wait.
 * - `QUEUE_TIMEOUT`: a request waited `queueTimeout` ms for a connection and gave up.
 */
export type ClientErrorCode = 'OFFLINE' | 'QUEUE_FULL' | 'QUEUE_TIMEOUT';

/** A request a reconnecting client could not send: it is disconnected (see {@link ClientErrorCode}). */
export class ClientError extends GotalkError<ClientErrorCode> {
  override name = 'ClientError';
}
