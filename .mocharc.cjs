// Tests run from TypeScript source: tsx compiles on the fly and the `development` export
// condition points workspace packages at their src/, so `npm test` needs no build first.
// `npm test` is every level but e2e; each level has its own config under test/<level>/ (npm run
// test:unit, test:integration, test:browser, test:e2e). A file named on the command line runs alone.
const levelSpec = require('./test/mocha-spec.cjs');

module.exports = {
  'node-option': ['conditions=development', 'import=tsx'],
  extension: ['ts'],
  ...levelSpec(['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/browser/**/*.test.ts']),
  require: ['test/helpers/root-hooks.ts'],
  // Integration tests start real containers; each test that needs longer says why.
  timeout: 30000,
  slow: 2000,
  reporter: 'spec',
};
