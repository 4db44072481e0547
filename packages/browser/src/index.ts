/**
 * @gotalk/browser: the Gotalk client for pages and workers, over the standard WebSocket. A
 * {@link Client} has the peer API (it serves handlers too, not only calls), reconnects with
 * backoff and queues requests while disconnected. The peer API is re-exported, so a page needs
 * this one import.
 */
// What the bundles carry (the client, the peer and handler API, errors, payload helpers)…
export * from './bundle.ts';
// …and the building blocks a bundler user may want besides, with the types.
export { type ClientOptions, type EndpointSource } from './client.ts';
export { type BrowserErrorCode } from './errors.ts';
export { DEFAULT_PATH, defaultEndpoint, endpointFromScript } from './endpoint-url.ts';
export { WebSocketTransport, type WebSocketConstructor, type WebSocketEventLike, type WebSocketLike } from './websocket-transport.ts';
export {
  DEFAULT_LIMITS,
  DEFAULT_RECONNECT,
  reconnectDelay,
  ReplyText,
  type ClientErrorCode,
  type ClientEvents,
  type ClientState,
  type ConnectionEnd,
  type ReconnectOptions,
  type ReconnectPolicy,
  type ActivityEvent,
  type ActivityListener,
  type BytesHandler,
  type CloseInfo,
  type CloseReason,
  type FallbackHandler,
  type GotalkErrorCode,
  type HandlerContext,
  type InputOf,
  type Limits,
  type NotificationContext,
  type NotificationHandler,
  type NotificationType,
  type Operation,
  type OutputOf,
  type PartSource,
  type PeerOptions,
  type RemoteHeartbeat,
  type RequestOptions,
  type ResultStream,
  type StandardSchemaV1,
  type StreamHandler,
  type StreamOperation,
  type StreamResult,
  type Transport,
  type TransportEvents,
  type TransportInfo,
  type ValidationIssue,
} from '@gotalk/peer';
