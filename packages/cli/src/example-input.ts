/** Deeper than this, an example is `null`: schemas may be recursive. */
const MAX_DEPTH = 6;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function exampleString(s: Record<string, unknown>): string {
  switch (s['format']) {
    case 'date-time':
      return '2026-01-01T00:00:00Z';
    case 'date':
      return '2026-01-01';
    case 'email':
      return 'user@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
  }
  const min = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
  const max = typeof s['maxLength'] === 'number' ? s['maxLength'] : Infinity;
  return 'text'.padEnd(Math.min(Math.max(4, min), 64), 'x').slice(0, Math.max(max, 0));
}

function exampleNumber(s: Record<string, unknown>, integer: boolean): number {
  let n = 1;
  if (typeof s['minimum'] === 'number') n = Math.max(n, s['minimum']);
  if (typeof s['exclusiveMinimum'] === 'number') n = Math.max(n, s['exclusiveMinimum'] + 1);
  if (typeof s['maximum'] === 'number') n = Math.min(n, s['maximum']);
  if (typeof s['exclusiveMaximum'] === 'number') n = Math.min(n, s['exclusiveMaximum'] - 1);
  return integer ? Math.ceil(n) : n;
}

/**
 * A value that a JSON Schema accepts, for `gotalk describe` to show as an example input: the
 * schema's own `examples`, `default`, `const` or first `enum` value when it has one, else
 * built from its type (an object with its required properties, all of them when none is
 * required; one item for an array; a string or number within its bounds). Best effort: a
 * schema it does not understand gives `null`.
 */
export function exampleOf(schema: unknown, depth = 0): unknown {
  if (!isObject(schema) || depth > MAX_DEPTH) return null;
  if (Array.isArray(schema['examples']) && schema['examples'].length > 0) return schema['examples'][0];
  if ('default' in schema) return schema['default'];
  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0];
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const first = options.find((o) => !(isObject(o) && o['type'] === 'null')) ?? options[0];
      return exampleOf(first, depth + 1);
    }
  }
  let type = schema['type'];
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  if (type === undefined && isObject(schema['properties'])) type = 'object';
  switch (type) {
    case 'object': {
      const properties = isObject(schema['properties']) ? schema['properties'] : {};
      const required = Array.isArray(schema['required']) ? schema['required'].filter((k): k is string => typeof k === 'string') : [];
      const keys = required.length > 0 ? required : Object.keys(properties);
      return Object.fromEntries(keys.map((k) => [k, exampleOf(properties[k], depth + 1)]));
    }
    case 'array': {
      const items = schema['items'] ?? (Array.isArray(schema['prefixItems']) ? schema['prefixItems'][0] : undefined);
      return items === undefined ? [] : [exampleOf(items, depth + 1)];
    }
    case 'string':
      return exampleString(schema);
    case 'integer':
      return exampleNumber(schema, true);
    case 'number':
      return exampleNumber(schema, false);
    case 'boolean':
      return true;
    default:
      return null;
  }
}
