import { GotalkError } from '@gotalk/peer';

/**
 * Stable codes of {@link BrowserError}; code on these, never on messages.
 * - `BAD_URL`: the address is not a `ws:`/`wss:` (or `http:`/`https:`) URL, or none was given
 *   and none could be derived from where the script was loaded.
 * - `READ_BACKLOG`: bytes received while reading was paused (a stream's buffer was full: the
 *   page was not reading it) passed `limits.maxBacklog`, so the connection was ended. It is the
 *   `cause` of the peer's close error (`reason: 'transport'`).
 * - `ORIGIN_NOT_ALLOWED`: the server refuses WebSocket upgrades from this page's origin (its
 *   `ws.origins`); `HOST_NOT_ALLOWED`: from pages reaching it under this host name (its
 *   `ws.allowedHosts`). Found by asking the server after a failed upgrade; the client gives up
 *   with it (the `failed` event, `client.error`, and every waiting request) instead of retrying.
 */
export type BrowserErrorCode = 'BAD_URL' | 'READ_BACKLOG' | 'ORIGIN_NOT_ALLOWED' | 'HOST_NOT_ALLOWED';

/**
 * The error of `@gotalk/browser`'s own operations: addresses, a server that refuses the page,
 * and data received faster than the page reads it. Requests made while disconnected fail with the client's `ClientError`, and
 * failures of requests on a connection are the peer's `GotalkError`s.
 */
export class BrowserError extends GotalkError<BrowserErrorCode> {
  override name = 'BrowserError';
}
