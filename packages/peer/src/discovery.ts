// The discovery extension: a service that answers the reserved op `$describe` with what it
// offers (docs/protocol.md, "Describe"). A peer without it answers "unknown operation".
import type { Handlers, HandlerEntry } from './handlers.ts';
import type { NotificationType } from './operation.ts';
import { toJson } from './payload.ts';
import type { StandardSchemaV1 } from './schema.ts';

/** The reserved op name of the discovery extension. */
export const DESCRIBE_OP = '$describe';

/** The value of `protocol` in a description: its format's name and version. */
export const DESCRIBE_FORMAT = 'gotalk-describe/1';

/** A JSON Schema (draft 2020-12) as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** One operation, stream operation or notification of a {@link ServiceDescription}. */
export interface DescribedEntry {
  readonly name: string;
  /** `operation` (one result), `stream` (a stream result), `notification`. */
  readonly kind: 'operation' | 'stream' | 'notification';
  readonly description?: string;
  /** The JSON Schema of the input (of one part, for a stream; the payload, for a notification); absent when unknown. */
  readonly input?: JsonSchema;
  /** The JSON Schema of the output (of one part, for a stream); absent when unknown or for notifications. */
  readonly output?: JsonSchema;
}

/** What `$describe` answers. */
export interface ServiceDescription {
  readonly protocol: typeof DESCRIBE_FORMAT;
  /** A one-line description of the service, when it gave one. */
  readonly service?: string;
  /** Ops and notifications it handles, sorted by name. */
  readonly operations: readonly DescribedEntry[];
  readonly notifications: readonly DescribedEntry[];
  /** Notifications it sends to the connections it serves. */
  readonly sends: readonly DescribedEntry[];
}

/** Options of {@link describeHandlers} and {@link serveDescription}. */
export interface DescribeOptions {
  /** A one-line description of the service. */
  readonly service?: string;
  /** Notifications the service sends, typed or as a name with a description. */
  readonly sends?: readonly (NotificationType | { readonly name: string; readonly description?: string })[];
}

/** What a Standard Schema may offer besides validation: the Standard JSON Schema converter (zod 4 has it). */
interface WithJsonSchema {
  readonly '~standard': { readonly vendor: string; readonly jsonSchema?: { readonly input: (options: { target: string }) => Record<string, unknown> } };
}

/**
 * The JSON Schema (draft 2020-12) of the values `schema` accepts, from the Standard JSON Schema
 * interface (`~standard.jsonSchema`, which zod 4 implements). A schema that lacks it, or
 * cannot express itself (a zod transform), gets a schema that accepts anything and says why in
 * its `description`. The accepted side is what matters on the wire both ways: a handler's
 * output is checked by the output schema and sent as it is, and the requestor parses it.
 */
export function jsonSchemaOf(schema: StandardSchemaV1): JsonSchema {
  const standard = (schema as WithJsonSchema)['~standard'];
  const vendor = typeof standard.vendor === 'string' ? standard.vendor : 'unknown';
  if (typeof standard.jsonSchema?.input !== 'function') return { description: `a ${vendor} schema that offers no JSON Schema` };
  try {
    const json = standard.jsonSchema.input({ target: 'draft-2020-12' });
    const { $schema: _omitted, ...rest } = json;
    return rest;
  } catch (err) {
    return { description: `a ${vendor} schema that cannot be expressed as JSON Schema: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function described(entry: HandlerEntry | { name: string; description?: string | undefined }, kind: DescribedEntry['kind']): DescribedEntry {
  const { input, output } = entry as HandlerEntry;
  return {
    name: entry.name,
    kind,
    ...(entry.description ? { description: entry.description } : {}),
    ...(input ? { input: jsonSchemaOf(input) } : {}),
    ...(output && kind !== 'notification' ? { output: jsonSchemaOf(output) } : {}),
  };
}

/** The description of what `handlers` (and its parents) handle, `$describe` itself left out. */
export function describeHandlers(handlers: Handlers, options: DescribeOptions = {}): ServiceDescription {
  const entries = handlers.entries().filter((e) => e.name !== DESCRIBE_OP);
  return {
    protocol: DESCRIBE_FORMAT,
    ...(options.service ? { service: options.service } : {}),
    operations: entries.filter((e) => e.kind !== 'notification').map((e) => described(e, e.kind === 'stream' ? 'stream' : 'operation')),
    notifications: entries.filter((e) => e.kind === 'notification').map((e) => described(e, 'notification')),
    sends: (options.sends ?? []).map((n) => described('schema' in n ? { ...n, input: n.schema } : n, 'notification')),
  };
}

/**
 * Makes `handlers` answer `$describe` with {@link describeHandlers}, computed at each request,
 * so that handlers registered later are listed too. Returns `handlers`.
 */
export function serveDescription(handlers: Handlers, options: DescribeOptions = {}): Handlers {
  // Any payload asks for the whole description (a request without a value carries `null`).
  return handlers.handleBytes(
    DESCRIBE_OP,
    () => toJson(describeHandlers(handlers, options)),
    'describes this service: its operations, notifications and their schemas',
  );
}
