/**
 * @gotalk/peer: the runtime-neutral Gotalk peer. Works over any {@link Transport}; the same
 * code runs in Node, browsers and workers.
 */
export { Peer } from './peer.ts';
export {
  Handlers,
  type BytesHandler,
  type HandlerEntry,
  type HandlerInfo,
  type FallbackHandler,
  type HandlerContext,
  type NotificationContext,
  type NotificationEntry,
  type NotificationHandler,
  type StreamHandler,
  type StreamResult,
} from './handlers.ts';
export { defineNotification, defineOperation, defineStreamOperation, type NotificationType, type Operation, type StreamOperation } from './operation.ts';
export { validate, type InputOf, type OutputOf, type StandardSchemaV1 } from './schema.ts';
export {
  defineContract,
  notification,
  operation,
  streamOperation,
  typed,
  type Contract,
  type ContractEntries,
  type ContractEntry,
  type ContractProxy,
  type EntryHandler,
  type Implementation,
  type OperationSchemas,
  type ProxyMethod,
  type Typed,
} from './contract.ts';
export { createProxy, type OutgoingCall, type OutgoingHook, type ProxyOptions } from './proxy.ts';
export type { IncomingCall, Middleware } from './middleware.ts';
export { MemoryBudget, type BudgetAccount, type StreamsServed, type UnsentSource } from './budget.ts';
export { Client, type ClientEvents, type ClientOptions, type ClientState, type ConnectionEnd, type Dial, type OnlineWatcher } from './client.ts';
export { DEFAULT_RECONNECT, reconnectDelay, type ReconnectOptions, type ReconnectPolicy } from './reconnect.ts';
export { CANCEL_NOTIFICATION } from './cancel.ts';
export {
  DESCRIBE_FORMAT,
  DESCRIBE_OP,
  describeHandlers,
  jsonSchemaOf,
  serveDescription,
  type DescribedEntry,
  type DescribeOptions,
  type JsonSchema,
  type ServiceDescription,
} from './discovery.ts';
export { Emitter } from './emitter.ts';
export { gatherEach, type GatherOptions, type Gathered } from './gather.ts';
export { Groups, invalidGroup, MAX_GROUP_NAME, type GroupsOptions, type GroupView } from './groups.ts';
export {
  Audience,
  broadcastSettings,
  DEFAULT_BROADCAST,
  inGroups,
  type AudienceHost,
  type BroadcastOptions,
  type BroadcastReport,
  type Selection,
} from './audience.ts';
export { CallerBase, jsonResult, type Caller, type Connection, type PartSource, type RemoteHeartbeat, type RequestOptions, type ResultStream } from './api.ts';
export { DEFAULT_LIMITS, DEFAULTS, type Limits } from './defaults.ts';
export { checkPeerOptions, countOption, msOption, resolveLimits, type PeerOptions } from './options.ts';
export type { ActivityEvent, ActivityListener, CloseInfo, CloseReason } from './activity.ts';
export type { Transport, TransportEvents, TransportInfo } from './transport.ts';
export { memoryPair, type MemoryPairOptions } from './memory-transport.ts';
export { MessagePortTransport, type MessageEventLike, type MessagePortLike, type MessagePortTransportOptions } from './message-port-transport.ts';
export { ReplyText } from './incoming.ts';
export { backoff } from './outgoing.ts';
export {
  AbortedError,
  ClientError,
  ClosedError,
  GotalkError,
  invalidName,
  PayloadTooLargeError,
  ProtocolError,
  RemoteError,
  RetryExhaustedError,
  RetryLater,
  TimeoutError,
  ValidationError,
  type ClientErrorCode,
  type GotalkErrorCode,
  type RemoteErrorDetails,
  type ValidationIssue,
} from './errors.ts';
export { checkJson, concat, fromJson, text, toJson, utf8, type JsonLimits } from './payload.ts';

import { memoryPair, type MemoryPairOptions } from './memory-transport.ts';
import type { PeerOptions } from './options.ts';
import { Peer } from './peer.ts';

/** Two peers connected in memory through the real codec: for tests and in-process use. */
export function connectedPeers(a: PeerOptions = {}, b: PeerOptions = {}, pipe: MemoryPairOptions = {}): [Peer, Peer] {
  const [ta, tb] = memoryPair(pipe);
  return [new Peer(ta, a), new Peer(tb, b)];
}
