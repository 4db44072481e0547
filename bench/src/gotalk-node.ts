/**
 * \`@gotalk/node\`, loaded when first needed: a missing build then fails the Gotalk cases only
 * (each reported as n/a), not the whole client process.
 */
export function gotalkNode(): Promise<typeof import('@gotalk/node')> {
  return import('@gotalk/node');
}
