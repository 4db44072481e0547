import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ValidationError, type ValidationIssue } from './errors.ts';

export type { StandardSchemaV1 };

/** The type a schema accepts. */
export type InputOf<S extends StandardSchemaV1> = StandardSchemaV1.InferInput<S>;
/** The type a schema produces after validation. */
export type OutputOf<S extends StandardSchemaV1> = StandardSchemaV1.InferOutput<S>;

function pathText(path: StandardSchemaV1.Issue['path']): string {
  if (!path) return '';
  return path.map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
}

function checked<T>(result: StandardSchemaV1.Result<T>, where: string): T {
  if (result.issues) {
    const issues: ValidationIssue[] = result.issues.map((i) => ({ path: pathText(i.path), message: i.message }));
    throw new ValidationError(where, issues);
  }
  return result.value;
}

/**
 * Validates `value` with any Standard Schema (zod, valibot, arktype…). Returns the parsed
 * value, or a promise of it for schemas that validate asynchronously; throws (or rejects
 * with) a {@link ValidationError} naming each wrong field. `where` names the value in messages.
 */
export function validate<S extends StandardSchemaV1>(schema: S, value: unknown, where: string): OutputOf<S> | Promise<OutputOf<S>> {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) return result.then((r) => checked(r, where));
  return checked(result, where);
}
