// `npm run test:browser` (and `npm run screenshots`, which also rewrites docs/screenshots/):
// only the browser tests. They need chromium besides what the integration tests need.
// `npm test` runs them too, with everything else.
const base = require('../../.mocharc.cjs');
const levelSpec = require('../mocha-spec.cjs');

module.exports = { ...base, ...levelSpec(['test/browser/**/*.test.ts']) };
