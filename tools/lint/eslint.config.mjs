// The lint rules (npm run lint): eslint's and typescript-eslint's recommended sets, without
// type information (fast: a few seconds for the tree), and the few changes below, each with why.
// Formatting is prettier's (.prettierrc), not eslint's.
import js from '@eslint/js';
import Module, { createRequire } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

// typescript-eslint needs TypeScript's JavaScript API, which the TypeScript 7 the repo compiles
// with no longer has. This workspace's node_modules hold TypeScript 6 for it, but npm hoists
// some of typescript-eslint's dependencies (ts-api-utils) to the root, where `typescript` is 7:
// in the linter's process, every require('typescript') gets this workspace's.
const ts6 = createRequire(import.meta.url).resolve('typescript');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'typescript' ? ts6 : resolveFilename.call(this, request, ...rest);
};
const { default: tseslint } = await import('typescript-eslint');

export default defineConfig(
  globalIgnores(['**/dist/', '**/node_modules/', 'bench/results/', 'docs/screenshots/', 'data/', 'coverage/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  {
    // The web app: Preact's hooks follow React's rules.
    files: ['apps/web/src/**'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  { files: ['**/*.cjs', 'apps/cli/bin/*.js'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    rules: {
      // Control characters in a pattern are the point where they appear: stripping terminal
      // escapes and control bytes from model output and CLI output.
      'no-control-regex': 'off',
      // A function installed as another object's method keeps that object as `this` and names
      // the one that installed it (bench/orchestration/trace.ts).
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['tracer'] }],
      // A name that starts with _ is unused on purpose (a callback's leading parameter, a rest sibling).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
);
