import { DESCRIBE_OP, RemoteError, type DescribedEntry, type Peer, type ServiceDescription } from '@gotalk/node';
import { CliError, Exit } from './args.ts';

/** What the CLI reads of a `$describe` answer: checked, since it comes from the other side. */
export type Description = ServiceDescription;

/** True when `err` is the answer of a peer that has no handler for `op` (this repository's and the Go reference's text). */
export function isUnknownOp(err: unknown, op: string): boolean {
  return err instanceof RemoteError && err.code === 'REMOTE_ERROR' && err.message === `unknown operation ${JSON.stringify(op)}`;
}

/** The error of a service that answers `$describe` as an unknown operation: exit 1, as for any error result. */
export function notDescribed(address: string): CliError {
  return new CliError(
    `the service at ${address} does not describe itself (it answers ${DESCRIBE_OP} as an unknown operation); call its operations by name with gotalk call`,
    Exit.remote,
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function entries(value: unknown, field: string, kind: DescribedEntry['kind'] | null): DescribedEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${field} is not a list`);
  return value.map((e: unknown, i) => {
    if (!isObject(e) || typeof e['name'] !== 'string' || e['name'] === '') throw new Error(`${field}[${i}] has no name`);
    const k = e['kind'];
    const entryKind = kind ?? (k === 'stream' ? 'stream' : 'operation');
    return {
      name: e['name'],
      kind: entryKind,
      ...(typeof e['description'] === 'string' ? { description: e['description'] } : {}),
      ...(isObject(e['input']) ? { input: e['input'] } : {}),
      ...(isObject(e['output']) ? { output: e['output'] } : {}),
    };
  });
}

/** Checks a `$describe` answer's shape, keeping what the CLI uses; throws an Error naming what is wrong. */
export function checkDescription(value: unknown): Description {
  if (!isObject(value)) throw new Error('it is not a JSON object');
  return {
    protocol: 'gotalk-describe/1',
    ...(typeof value['service'] === 'string' ? { service: value['service'] } : {}),
    operations: entries(value['operations'], 'operations', null),
    notifications: entries(value['notifications'], 'notifications', 'notification'),
    sends: entries(value['sends'], 'sends', 'notification'),
  };
}

/**
 * Asks `peer` to describe itself. Resolves with the description, or with null when the service
 * answers `$describe` as an unknown operation (the Go reference, a service without the
 * extension); any other failure is thrown (an answer that is no description: exit 5).
 */
export async function fetchDescription(peer: Peer, timeout: number): Promise<Description | null> {
  let value: unknown;
  try {
    value = await peer.request(DESCRIBE_OP, null, { timeout });
  } catch (err) {
    if (isUnknownOp(err, DESCRIBE_OP)) return null;
    throw err;
  }
  try {
    return checkDescription(value);
  } catch (err) {
    throw new CliError(`the service's answer to ${DESCRIBE_OP} is not a description: ${(err as Error).message}`, Exit.other);
  }
}

/** The op or notification named `name` in a description: looked up in operations, then notifications, then sends. */
export function findEntry(d: Description, name: string): { entry: DescribedEntry; section: 'operations' | 'notifications' | 'sends' } | null {
  for (const section of ['operations', 'notifications', 'sends'] as const) {
    const entry = d[section].find((e) => e.name === name);
    if (entry) return { entry, section };
  }
  return null;
}
