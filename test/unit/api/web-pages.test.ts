import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEB_PAGES } from '../../../apps/api/src/routes/web';

// The web app routes in the browser (apps/web/src/main.tsx); the API must serve its page at
// each of those paths too, or a reload or a shared link there is a 404 (as /admin/fleet was).
describe('the web pages the API serves', () => {
  const main = readFileSync(join(__dirname, '../../../apps/web/src/main.tsx'), 'utf8');
  const routed = new Set([...main.matchAll(/(?:path === |match\()'([^']+)'/g)].map((m) => m[1]!));

  it('reads the routes of the web app', () => {
    // A rewrite of the router that this pattern no longer sees must fail here, not pass empty.
    assert.ok(routed.size >= 10, `only ${[...routed].join(', ')}`);
  });

  it('serves the page at every path the web app routes', () => {
    const missing = [...routed].filter((p) => !(WEB_PAGES as readonly string[]).includes(p));
    assert.deepEqual(missing, []);
  });
});
