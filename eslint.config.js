// Lint rules for the whole workspace: the TypeScript recommendations, plus the type-aware rules
// that catch promises nobody awaits and expressions that do nothing (run by `pnpm test`).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // packages/browser/gotalk-global.d.ts: a published declaration in no tsconfig project, checked by test/packed instead.
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'packages/*/.docs-snippets/**',
      'bench/results/**',
      'examples/demo/public/**',
      'packages/browser/gotalk-global.d.ts',
      'docs/api/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        project: ['./packages/*/tsconfig.json', './tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-expressions': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  // Ambient declarations of the globals every runtime has (see packages/peer/src/env.d.ts) are `declare var` by nature.
  { files: ['**/*.d.ts'], rules: { 'no-var': 'off' } },
);
