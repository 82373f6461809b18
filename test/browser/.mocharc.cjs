// `npm run test:browser` (and `npm run screenshots`, which also rewrites docs/screenshots/):
// only the browser tests. `npm test` runs them too, with everything else.
const base = require('../../.mocharc.cjs');

module.exports = { ...base, spec: ['test/browser/**/*.test.ts'] };
