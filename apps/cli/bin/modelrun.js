#!/usr/bin/env node
'use strict';
// The installed command runs the compiled CLI; in a checkout that was never built, say how.
let entry;
try {
  entry = require.resolve('../dist/main.js');
} catch {
  process.stderr.write('modelrun: the CLI is not built: run `npm run build` in the repository first\n');
  process.exit(3);
}
require(entry);
