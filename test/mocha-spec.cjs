// The spec list of a test level (.mocharc.cjs files), unless test files are named on the command
// line: then those alone run (`npx mocha test/unit/foo.test.ts`), where mocha would run them
// besides the whole list.
const named = process.argv.slice(2).some((a) => !a.startsWith('-') && a.endsWith('.test.ts'));

module.exports = (spec) => (named ? {} : { spec });
