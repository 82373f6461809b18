// `npm run test:e2e`: the end-to-end tests, kept out of `npm test` because the first run on a
// machine builds the sample model image (minutes). Everything else as in the root .mocharc.cjs.
const base = require('../../.mocharc.cjs');
const levelSpec = require('../mocha-spec.cjs');

module.exports = { ...base, ...levelSpec(['test/e2e/**/*.test.ts']) };
