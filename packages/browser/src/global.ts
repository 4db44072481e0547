/**
 * The entry of dist/gotalk.js, the classic script: defines the global `gotalk`, the API of
 * `bundle.ts`. A plain object, typed as that module so that the two lists cannot drift apart
 * (esbuild's `globalName` would copy the exports as getters instead, 0.2 kB more gzipped).
 */
import type * as Api from './bundle.ts';
import {
  AbortedError,
  BrowserError,
  Client,
  ClosedError,
  connect,
  defineNotification,
  defineOperation,
  defineStreamOperation,
  fromJson,
  GotalkError,
  Handlers,
  PayloadTooLargeError,
  Peer,
  ProtocolError,
  RemoteError,
  RetryExhaustedError,
  RetryLater,
  text,
  TimeoutError,
  toJson,
  utf8,
  ValidationError,
} from './bundle.ts';

const gotalk: typeof Api = {
  AbortedError,
  BrowserError,
  Client,
  ClosedError,
  connect,
  defineNotification,
  defineOperation,
  defineStreamOperation,
  fromJson,
  GotalkError,
  Handlers,
  PayloadTooLargeError,
  Peer,
  ProtocolError,
  RemoteError,
  RetryExhaustedError,
  RetryLater,
  text,
  TimeoutError,
  toJson,
  utf8,
  ValidationError,
};

(globalThis as { gotalk?: typeof Api }).gotalk = gotalk;
