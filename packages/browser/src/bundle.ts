/**
 * The entry of the bundles (`dist/gotalk.js`, global `gotalk`, and `dist/gotalk.mjs`): what a
 * page uses. The client, the peer and handler API, typed operations and contracts (with their proxy), every error class and the
 * payload helpers. The building blocks a bundler user may want besides (WebSocketTransport, the
 * endpoint and reconnection helpers, DEFAULT_LIMITS, ReplyText) come from the package entry,
 * `index.ts`, only: the bundles stay smaller without them.
 */
export { Client, connect } from './client.ts';
export { BrowserError } from './errors.ts';
export {
  AbortedError,
  ClientError,
  ClosedError,
  createProxy,
  defineContract,
  defineNotification,
  defineOperation,
  defineStreamOperation,
  fromJson,
  GotalkError,
  Handlers,
  notification,
  operation,
  PayloadTooLargeError,
  Peer,
  ProtocolError,
  RemoteError,
  RetryExhaustedError,
  RetryLater,
  streamOperation,
  text,
  TimeoutError,
  toJson,
  typed,
  utf8,
  ValidationError,
} from '@gotalk/peer';
