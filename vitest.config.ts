import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, entry = 'index.ts') => fileURLToPath(new URL(`./packages/${pkg}/src/${entry}`, import.meta.url));

// Tests run against the TypeScript sources of every package, not their build output. (An alias
// also matches what starts with it and a slash: '@gotalk/test-kit/node' must come first.)
export default defineConfig({
  resolve: {
    alias: {
      '@gotalk/protocol': src('protocol'),
      '@gotalk/peer': src('peer'),
      '@gotalk/pool': src('pool'),
      '@gotalk/node': src('node'),
      '@gotalk/browser': src('browser'),
      '@gotalk/test-kit/node': src('test-kit', 'node/index.ts'),
      '@gotalk/test-kit': src('test-kit'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
