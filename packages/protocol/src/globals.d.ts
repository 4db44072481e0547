// The two text codecs that every JavaScript runtime we target (Node, browsers, workers,
// Deno, Bun) provides. Declared here, not taken from the DOM or Node typings, so that nothing
// else runtime-specific can leak into this package.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
  encodeInto(src: string, dest: Uint8Array): { read: number; written: number };
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array): string;
}
