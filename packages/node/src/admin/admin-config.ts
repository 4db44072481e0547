import { RemoteError, validate, ValidationError, type StandardSchemaV1 } from '@gotalk/peer';

/** A configuration an admin endpoint reads and changes: its schema, its first value, and who approves a change. */
export interface AdminConfig<T> {
  /** Any Standard Schema (zod…): every value, the first included, must pass it; its output is the value kept. */
  readonly schema: StandardSchemaV1<unknown, T>;
  readonly value: T;
  /**
   * Told of each change before it is kept, with the new value and the one it replaces. Throw
   * (or reject) to refuse it: a `RemoteError` is answered as it is (its code and data), any
   * other error as `CONFIG_REFUSED` with its message.
   */
  readonly onChange?: (next: T, previous: T) => void | Promise<void>;
}

/** The codes a `set-config` error result carries. */
export const CONFIG_ERRORS = {
  /** The value after the change does not pass the schema; `data.issues` names each wrong field. */
  invalid: 'INVALID_CONFIG',
  /** The application's `onChange` refused the change. */
  refused: 'CONFIG_REFUSED',
} as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What changed between two values: the top-level keys of objects that differ, else `[]` for "the value". */
function changedKeys(previous: unknown, next: unknown): string[] {
  if (!isPlainObject(previous) || !isPlainObject(next)) return [];
  const keys = new Set([...Object.keys(previous), ...Object.keys(next)]);
  return [...keys].filter((k) => JSON.stringify(previous[k]) !== JSON.stringify(next[k])).sort();
}

/**
 * The live configuration behind `config` and `set-config`: validated at the start (a bad first
 * value throws a TypeError), changed by patches.
 */
export class ConfigStore<T> {
  #value: T;
  /** The change being applied: the next one waits for it. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly config: AdminConfig<T>) {
    const first = validate(config.schema, config.value, 'configuration');
    if (first instanceof Promise) throw new TypeError('the configuration schema must validate synchronously');
    this.#value = first;
  }

  get value(): T {
    return this.#value;
  }

  /**
   * Applies `patch`: merged into the current value when both are plain objects (its keys
   * replace theirs), else the whole new value. Validates, asks `onChange`, keeps it, and resolves
   * with the new value and the keys that changed. Changes are applied one at a time, in order.
   */
  change(patch: unknown): Promise<{ config: T; changed: string[] }> {
    const done = this.#queue.then(() => this.#apply(patch));
    this.#queue = done.catch(() => {});
    return done;
  }

  async #apply(patch: unknown): Promise<{ config: T; changed: string[] }> {
    const previous = this.#value;
    const merged = isPlainObject(previous) && isPlainObject(patch) ? { ...previous, ...patch } : patch;
    let next: T;
    try {
      next = await validate(this.config.schema, merged, 'configuration');
    } catch (err) {
      if (err instanceof ValidationError) throw new RemoteError(err.message, { code: CONFIG_ERRORS.invalid, data: { issues: err.issues } });
      throw err;
    }
    try {
      await this.config.onChange?.(next, previous);
    } catch (err) {
      if (err instanceof RemoteError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new RemoteError(message, { code: CONFIG_ERRORS.refused });
    }
    this.#value = next;
    return { config: next, changed: changedKeys(previous, next) };
  }
}

/**
 * A schema for a patch of `schema`'s objects, for discovery only: its JSON Schema is the
 * configuration's without `required` (any subset of the keys may be given). Validation is the
 * whole value's, after the merge.
 */
export function patchSchema(schema: StandardSchemaV1): StandardSchemaV1 {
  const standard = schema['~standard'] as StandardSchemaV1['~standard'] & { jsonSchema?: { input(o: { target: string }): Record<string, unknown> } };
  const jsonSchema = standard.jsonSchema;
  return {
    '~standard': {
      version: 1,
      vendor: standard.vendor,
      validate: standard.validate,
      ...(jsonSchema
        ? {
            jsonSchema: {
              input: (o: { target: string }) => {
                const { required: _all, ...rest } = jsonSchema.input(o);
                return rest;
              },
            },
          }
        : {}),
    },
  } as StandardSchemaV1;
}
