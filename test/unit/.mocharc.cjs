// `npm run test:unit`: the unit tests alone. They need no root, no Docker, no Redis and no
// browser, and take well under a minute: the level to check a change at first. A test that
// needs any of those belongs in test/integration. Everything else as in the root .mocharc.cjs.
const base = require('../../.mocharc.cjs');
const levelSpec = require('../mocha-spec.cjs');

module.exports = { ...base, ...levelSpec(['test/unit/**/*.test.ts']), timeout: 5000 };
