import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests run against the TypeScript sources of every package, not their build output.
export default defineConfig({
  resolve: {
    alias: {
      '@gotalk/protocol': src('protocol'),
      '@gotalk/peer': src('peer'),
      '@gotalk/pool': src('pool'),
      '@gotalk/node': src('node'),
      '@gotalk/browser': src('browser'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
