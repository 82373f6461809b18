// The container health check of the api and worker images (they ship no curl or wget).
// `node healthcheck.mjs api`    GET /readyz  on $PORT (8081): Redis answers and the volume is readable.
// `node healthcheck.mjs worker` GET /healthz on $WORKER_METRICS_PORT (9464): the worker process is up.
// Exits 0 on a 2xx answer within 2.5 s (under the HEALTHCHECK timeout of 3 s), 1 otherwise.
// node:http rather than fetch: Node 20's fetch can leave its promise pending when a connection is
// reset, and the process would then end with no verdict.
import { get } from 'node:http';

const checks = {
  api: { port: process.env.PORT || '8081', path: '/readyz' },
  worker: { port: process.env.WORKER_METRICS_PORT || '9464', path: '/healthz' },
};
const check = checks[process.argv[2]];
if (!check) {
  process.stderr.write(`usage: node healthcheck.mjs ${Object.keys(checks).join('|')}\n`);
  process.exit(2);
}
const url = `http://127.0.0.1:${check.port}${check.path}`;
const verdict = (ok, what) => {
  process.stdout.write(`${url} ${what}\n`);
  process.exit(ok ? 0 : 1);
};
const req = get(url, { timeout: 2500 }, (res) => {
  res.resume();
  verdict(res.statusCode >= 200 && res.statusCode < 300, `answered ${res.statusCode}`);
});
req.on('timeout', () => req.destroy(new Error('no answer within 2.5 s')));
req.on('error', (err) => verdict(false, `did not answer: ${err.message}`));
