import type { ServiceDefinition } from '@grpc/grpc-js';

const same = (b: Buffer): Buffer => b;
const bytes = { requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same };

/**
 * The gRPC service of the benchmark, with raw-byte (identity) serializers, so that no protobuf
 * cost is counted against gRPC: `Echo` (unary, bytes in, same bytes out) and `Stream`
 * (bidirectional, each message echoed).
 */
export const ECHO_SERVICE = {
  echo: { path: '/bench.Echo/Echo', requestStream: false, responseStream: false, ...bytes },
  stream: { path: '/bench.Echo/Stream', requestStream: true, responseStream: true, ...bytes },
} satisfies ServiceDefinition;

/** A `tcp://127.0.0.1:port` or `unix:/path` address as a gRPC target (`127.0.0.1:port`, `unix:/path`). */
export const grpcTarget = (address: string): string => (address.startsWith('tcp://') ? address.slice('tcp://'.length) : address);
