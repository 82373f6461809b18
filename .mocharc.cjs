// Tests run from TypeScript source: tsx compiles on the fly and the `development` export
// condition points workspace packages at their src/, so `npm test` needs no build first.
module.exports = {
  'node-option': ['conditions=development', 'import=tsx'],
  extension: ['ts'],
  spec: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'],
  require: ['test/helpers/root-hooks.ts'],
  // Integration tests start real containers; each test that needs longer says why.
  timeout: 30000,
  slow: 2000,
  reporter: 'spec',
};
