import assert from 'node:assert/strict';
import { ConfigError, loadApiConfig, loadWorkerConfig } from '@modelrun/config';

const LONG_TOKEN = 'tok_Ke4Rz9Xm2Wq7Ln5Tb8Yc1V';
const OTHER_TOKEN = 'tok_Fd6Hs3Pj0Qv8Gm1Zx5Nr9U';

/** Runs `load` expecting a ConfigError; returns it. */
function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the configuration to be refused');
}

function problemFor(err: ConfigError, variable: string): string {
  const problem = err.problems.find((p) => p.startsWith(`${variable}:`));
  assert.ok(problem, `no problem names ${variable}: ${JSON.stringify(err.problems)}`);
  return problem;
}

describe('loadApiConfig', () => {
  it('fills the documented defaults from an empty environment', () => {
    const config = loadApiConfig({});
    assert.equal(config.port, 8081);
    assert.equal(config.host, '127.0.0.1');
    assert.deepEqual(config.redis, { kind: 'standalone', url: 'redis://127.0.0.1:6379' });
    assert.equal(config.dataDir, './data');
    assert.deepEqual(config.apiTokens, []);
    assert.equal(config.allowedImages.restricted, false);
    assert.equal(config.log.level, 'info');
    assert.equal(config.indexSnapshot, true);
  });

  it('reads INDEX_SNAPSHOT=off', () => {
    assert.equal(loadApiConfig({ INDEX_SNAPSHOT: 'off' }).indexSnapshot, false);
  });

  it('reads the run-limit defaults and ceilings', () => {
    const config = loadApiConfig({
      RUN_TIMEOUT_SECONDS: '60',
      RUN_TIMEOUT_SECONDS_MAX: '120',
      RUN_MEMORY_MB: '256',
      RUN_MEMORY_MB_MAX: '512',
      RUN_CPUS: '0.5',
      RUN_CPUS_MAX: '2',
      RUN_GPUS_MAX: '1',
    });
    assert.deepEqual(config.limits, {
      defaults: { timeoutSeconds: 60, memoryMb: 256, cpus: 0.5, gpus: 0 },
      ceilings: { timeoutSeconds: 120, memoryMb: 512, cpus: 2, gpus: 1 },
    });
  });

  it('reads ALLOWED_IMAGES as a comma-separated list of patterns', () => {
    const config = loadApiConfig({ ALLOWED_IMAGES: ' registry.example/team/* , team/model ,' });
    assert.deepEqual(config.allowedImages.sources, ['registry.example/team/*', 'team/model']);
    assert.equal(config.allowedImages.allows('registry.example/team/x:1'), true);
    assert.equal(config.allowedImages.allows('other/x'), false);
  });

  const badValues: [string, string, RegExp][] = [
    ['PORT', 'abc', /must be a port number/],
    ['PORT', '70000', /0-65535/],
    ['PORT', '80.5', /whole number/],
    ['REDIS_URL', 'http://x', /redis:\/\/, rediss:\/\/ or redis\+sentinel:\/\//],
    ['REDIS_URL', 'redis+sentinel://h1:26379,h2:26379', /no master group/],
    ['REDIS_URL', 'not a url', /redis:\/\//],
    ['LOG_LEVEL', 'loud', /expected one of/],
    ['LOG_FORMAT', 'xml', /expected one of/],
    ['REDIS_REQUIRE_PERSISTENCE', 'maybe', /true or false/],
    ['QUEUE_PREFIX', 'a:b', /A-Z a-z 0-9 _ -/],
    ['RUN_MEMORY_MB', '8', /16/],
    ['RUN_ATTEMPTS', '100', /50/],
    ['RUN_CPUS', 'lots', /must be a number/],
    ['RUN_CPUS_MAX', 'Infinity', /must be a number/],
    ['RATE_LIMIT_PER_MINUTE', '-1', /not be negative/],
    ['BODY_LIMIT_BYTES', '0', /positive/],
    ['INDEX_SNAPSHOT', 'yes', /on or off/],
  ];
  for (const [variable, value, expected] of badValues) {
    it(`refuses ${variable}=${value}, naming the variable and the value`, () => {
      const problem = problemFor(
        configError(() => loadApiConfig({ [variable]: value })),
        variable,
      );
      assert.match(problem, expected);
      assert.ok(problem.includes(JSON.stringify(value)), problem);
    });
  }

  it('names every bad variable at once', () => {
    const err = configError(() => loadApiConfig({ PORT: 'abc', LOG_LEVEL: 'loud', REDIS_URL: 'http://x' }));
    problemFor(err, 'PORT');
    problemFor(err, 'LOG_LEVEL');
    problemFor(err, 'REDIS_URL');
    assert.match(err.message, /^invalid configuration:/);
    assert.match(err.message, /PORT/);
  });

  it('refuses a hexadecimal PORT rather than reading 0x50 as 80', () => {
    problemFor(
      configError(() => loadApiConfig({ PORT: '0x50' })),
      'PORT',
    );
  });

  it('reads a blank numeric variable as unset (its default), not as 0', () => {
    // Number('  ') is 0: a blank PORT would bind a random port; a blank RATE_LIMIT_PER_MINUTE would turn rate limiting off.
    assert.equal(loadApiConfig({ PORT: '  ' }).port, 8081);
    assert.equal(loadApiConfig({ RATE_LIMIT_PER_MINUTE: '  ' }).rateLimitPerMinute, 600);
    assert.equal(loadApiConfig({ RUN_MEMORY_MB: '\t' }).limits.defaults.memoryMb, 1024);
  });

  it('refuses a default over its ceiling, naming both', () => {
    const err = configError(() => loadApiConfig({ RUN_MEMORY_MB: '16384', RUN_MEMORY_MB_MAX: '8192' }));
    const problem = problemFor(err, 'RUN_MEMORY_MB');
    assert.match(problem, /16384/);
    assert.match(problem, /RUN_MEMORY_MB_MAX=8192/);
  });

  it('refuses a default over the built-in ceiling', () => {
    problemFor(
      configError(() => loadApiConfig({ RUN_TIMEOUT_SECONDS: '7200' })),
      'RUN_TIMEOUT_SECONDS',
    );
    problemFor(
      configError(() => loadApiConfig({ RUN_CPUS: '8' })),
      'RUN_CPUS',
    );
  });

  it('refuses HOST=0.0.0.0 without API_TOKENS and explains why and what to do', () => {
    const problem = problemFor(
      configError(() => loadApiConfig({ HOST: '0.0.0.0' })),
      'API_TOKENS',
    );
    assert.match(problem, /HOST=0\.0\.0\.0/);
    assert.match(problem, /loopback/);
    assert.match(problem, /Set API_TOKENS/);
    assert.match(problem, /HOST=127\.0\.0\.1/);
  });

  it('accepts a loopback HOST without tokens', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) {
      assert.equal(loadApiConfig({ HOST: host }).host, host);
    }
  });

  it('accepts HOST=0.0.0.0 with tokens, trimming them', () => {
    const config = loadApiConfig({ HOST: '0.0.0.0', API_TOKENS: ` ${LONG_TOKEN} ,${OTHER_TOKEN}` });
    assert.equal(config.host, '0.0.0.0');
    assert.deepEqual(config.apiTokens, [LONG_TOKEN, OTHER_TOKEN]);
  });

  it('refuses a token too short for 128 bits without showing the token', () => {
    const short = 'sh0rt-s3cret';
    const err = configError(() => loadApiConfig({ HOST: '0.0.0.0', API_TOKENS: `${LONG_TOKEN},${short}` }));
    const problem = problemFor(err, 'API_TOKENS');
    assert.match(problem, /#2/);
    assert.match(problem, /is 12 characters; 128 bits take at least 22/);
    assert.ok(!err.message.includes(short), err.message);
    assert.ok(!err.message.includes(LONG_TOKEN), err.message);
    assert.ok(!err.problems.some((p) => p.includes(short)));
  });

  it('treats empty variables as unset', () => {
    const config = loadApiConfig({ PORT: '', HOST: '', REDIS_URL: '', DATA_DIR: '', LOG_LEVEL: '', API_TOKENS: '', RUN_MEMORY_MB: '' });
    assert.equal(config.port, 8081);
    assert.equal(config.host, '127.0.0.1');
    assert.deepEqual(config.redis, { kind: 'standalone', url: 'redis://127.0.0.1:6379' });
    assert.equal(config.dataDir, './data');
    assert.equal(config.log.level, 'info');
    assert.equal(config.limits.defaults.memoryMb, 1024);
  });

  it('reads values that are set', () => {
    const config = loadApiConfig({ PORT: '9000', HOST: '::1', REDIS_URL: 'rediss://r.example:6380/2', DATA_DIR: '/srv/modelrun', LOG_LEVEL: 'debug' });
    assert.equal(config.port, 9000);
    assert.equal(config.host, '::1');
    assert.deepEqual(config.redis, { kind: 'standalone', url: 'rediss://r.example:6380/2' });
    assert.equal(config.dataDir, '/srv/modelrun');
    assert.equal(config.log.level, 'debug');
  });
});

describe('loadWorkerConfig', () => {
  it('fills the documented defaults from an empty environment', () => {
    const config = loadWorkerConfig({});
    assert.deepEqual(config.redis, { kind: 'standalone', url: 'redis://127.0.0.1:6379' });
    assert.equal(config.dataDir, './data');
    assert.equal(config.concurrency, 2);
    assert.equal(config.dockerHost, undefined);
    assert.equal(config.sandbox.outputMaxBytes, 16 * 1024 * 1024);
  });

  it('refuses WORKER_CONCURRENCY=0, naming the variable', () => {
    assert.match(
      problemFor(
        configError(() => loadWorkerConfig({ WORKER_CONCURRENCY: '0' })),
        'WORKER_CONCURRENCY',
      ),
      /positive/,
    );
  });

  it('refuses a fractional WORKER_CONCURRENCY', () => {
    assert.match(
      problemFor(
        configError(() => loadWorkerConfig({ WORKER_CONCURRENCY: '1.5' })),
        'WORKER_CONCURRENCY',
      ),
      /whole number/,
    );
  });

  it("reads WORKER_GPUS as device ids, and makes them the worker's GPU ceiling (empty: a CPU-only worker)", () => {
    const gpu = loadWorkerConfig({ WORKER_GPUS: '0, 1,GPU-3f0c9a2e', RUN_GPUS_MAX: '8' });
    assert.deepEqual(gpu.gpus, ['0', '1', 'GPU-3f0c9a2e']);
    assert.equal(gpu.limits.ceilings.gpus, 3);
    const cpu = loadWorkerConfig({ RUN_GPUS_MAX: '8' });
    assert.deepEqual(cpu.gpus, []);
    assert.equal(cpu.limits.ceilings.gpus, 0);
  });

  it('refuses WORKER_GPUS that names a device twice or is not device ids', () => {
    assert.match(
      problemFor(
        configError(() => loadWorkerConfig({ WORKER_GPUS: '0,1,0' })),
        'WORKER_GPUS',
      ),
      /names a device twice/,
    );
    assert.match(
      problemFor(
        configError(() => loadWorkerConfig({ WORKER_GPUS: '0;1' })),
        'WORKER_GPUS',
      ),
      /device ids like 0,1/,
    );
  });

  it('refuses a DOCKER_HOST that is not a Docker endpoint URL', () => {
    problemFor(
      configError(() => loadWorkerConfig({ DOCKER_HOST: '/var/run/docker.sock' })),
      'DOCKER_HOST',
    );
  });

  it('reads DOCKER_HOST when it is a Docker endpoint', () => {
    assert.equal(loadWorkerConfig({ DOCKER_HOST: 'unix:///var/run/docker.sock' }).dockerHost, 'unix:///var/run/docker.sock');
  });

  it('refuses a default over its ceiling', () => {
    problemFor(
      configError(() => loadWorkerConfig({ RUN_MEMORY_MB: '9000' })),
      'RUN_MEMORY_MB',
    );
  });

  it('does not require API tokens whatever HOST says', () => {
    assert.equal(loadWorkerConfig({ HOST: '0.0.0.0' }).concurrency, 2);
  });
});

describe('webhook configuration', () => {
  const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

  it('is off by default, with a retry schedule of about a day', () => {
    const c = loadWorkerConfig({});
    assert.deepEqual(c.webhooks.urls, []);
    assert.equal(c.webhooks.allowPrivate, false);
    const totalMs = c.webhooks.retry.backoffMs * (2 ** (c.webhooks.retry.attempts - 1) - 1);
    assert.ok(totalMs > 20 * 3600_000 && totalMs < 30 * 3600_000, `retries span ${totalMs / 3600_000} h`);
  });

  it('reads the endpoints and the secret', () => {
    const c = loadWorkerConfig({ WEBHOOK_URLS: 'https://hooks.example/a, http://hooks.example:8080/b', WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOW_PRIVATE: 'true' });
    assert.deepEqual(c.webhooks.urls, ['https://hooks.example/a', 'http://hooks.example:8080/b']);
    assert.equal(c.webhooks.secret, SECRET);
    assert.equal(c.webhooks.allowPrivate, true);
  });

  it('requires a secret with endpoints, and refuses a malformed one or a URL that is not http(s)', () => {
    assert.throws(() => loadWorkerConfig({ WEBHOOK_URLS: 'https://hooks.example/a' }), /WEBHOOK_SECRET: required when WEBHOOK_URLS is set/);
    assert.throws(() => loadWorkerConfig({ WEBHOOK_SECRET: 'hunter2' }), /WEBHOOK_SECRET: must be whsec_ followed by base64/);
    assert.throws(() => loadWorkerConfig({ WEBHOOK_SECRET: `whsec_${Buffer.alloc(8).toString('base64')}` }), /WEBHOOK_SECRET: must hold 24 to 64 bytes/);
    assert.throws(() => loadWorkerConfig({ WEBHOOK_URLS: 'ftp://hooks.example/a', WEBHOOK_SECRET: SECRET }), /WEBHOOK_URLS.*http:\/\/ or https:\/\//);
    assert.throws(() => loadWorkerConfig({ WEBHOOK_URLS: 'https://user:pw@hooks.example/a', WEBHOOK_SECRET: SECRET }), /without user:password@/);
  });

  it('never echoes a bad secret back', () => {
    assert.throws(
      () => loadWorkerConfig({ WEBHOOK_SECRET: 'whsec_not base64 at all' }),
      (err: Error) => {
        assert.match(err.message, /WEBHOOK_SECRET: must be whsec_ followed by base64 .*\(got a value of 23 characters, not shown\)/);
        assert.doesNotMatch(err.message, /not base64 at all/);
        return true;
      },
    );
  });
});
