// The config lives with the linter in tools/lint, whose node_modules hold the TypeScript 6 API
// typescript-eslint needs (the repo compiles with TypeScript 7, which has none).
export { default } from './tools/lint/eslint.config.mjs';
