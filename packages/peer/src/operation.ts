import type { StandardSchemaV1 } from './schema.ts';

/**
 * A typed request/response operation shared by both ends: the responder implements it with
 * `implement()`, the requestor calls it with `peer.call()`. Payloads are JSON.
 */
export interface Operation<I extends StandardSchemaV1 = StandardSchemaV1, O extends StandardSchemaV1 = StandardSchemaV1> {
  readonly kind: 'operation';
  readonly name: string;
  readonly input: I;
  readonly output: O;
  /** A one-line description, for discovery. */
  readonly description?: string | undefined;
}

/**
 * A typed streaming operation: the requestor sends a stream of `input` values and receives a
 * stream of `output` values, one JSON value per part.
 */
export interface StreamOperation<I extends StandardSchemaV1 = StandardSchemaV1, O extends StandardSchemaV1 = StandardSchemaV1> {
  readonly kind: 'stream';
  readonly name: string;
  readonly input: I;
  readonly output: O;
  /** A one-line description, for discovery. */
  readonly description?: string | undefined;
}

/** A typed notification: a name and the schema of its JSON payload. */
export interface NotificationType<S extends StandardSchemaV1 = StandardSchemaV1> {
  readonly kind: 'notification';
  readonly name: string;
  readonly schema: S;
  /** A one-line description, for discovery. */
  readonly description?: string | undefined;
}

/** Defines a typed operation once, for both sides: `defineOperation('greet', { input, output, description? })`. */
export function defineOperation<I extends StandardSchemaV1, O extends StandardSchemaV1>(
  name: string,
  schemas: { input: I; output: O; description?: string },
): Operation<I, O> {
  return { kind: 'operation', name, ...schemas };
}

/** Defines a typed streaming operation; `input` and `output` describe one part each. */
export function defineStreamOperation<I extends StandardSchemaV1, O extends StandardSchemaV1>(
  name: string,
  schemas: { input: I; output: O; description?: string },
): StreamOperation<I, O> {
  return { kind: 'stream', name, ...schemas };
}

/** Defines a typed notification: `defineNotification('chat', z.object({ text: z.string() }))`. */
export function defineNotification<S extends StandardSchemaV1>(name: string, schema: S, description?: string): NotificationType<S> {
  return description === undefined ? { kind: 'notification', name, schema } : { kind: 'notification', name, schema, description };
}
