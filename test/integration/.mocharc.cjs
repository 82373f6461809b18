// `npm run test:integration`: the tests against real Redis, Docker and HTTP. They need root
// (test engines, tmpfs mounts), dockerd and the packages `npm run setup:test` installs.
// Everything else as in the root .mocharc.cjs.
const base = require('../../.mocharc.cjs');
const levelSpec = require('../mocha-spec.cjs');

module.exports = { ...base, ...levelSpec(['test/integration/**/*.test.ts']) };
