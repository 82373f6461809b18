import { docker } from './docker';
import { type RedisServer, startRedisServer } from './redis-server';
import { buildFixtures } from '../fixtures/images';

let redis: Promise<{ url: string; server?: RedisServer }> | undefined;

/**
 * The real services integration tests stand on, started once per test process: a private
 * redis-server (or the one REDIS_URL names), the Docker engine, the fixture images. A caller
 * with its own Redis (a test, the bench) passes `redisUrl`, and no shared one is started.
 * Anything missing fails the test run with what to install or start; nothing is skipped.
 */
export async function infra(opts: { redisUrl?: string } = {}): Promise<{ redisUrl: string }> {
  const fixtures = docker().then(() => buildFixtures());
  if (opts.redisUrl) {
    await fixtures;
    return { redisUrl: opts.redisUrl };
  }
  redis ??= process.env.REDIS_URL ? Promise.resolve({ url: process.env.REDIS_URL }) : startRedisServer().then((server) => ({ url: server.url, server }));
  const [r] = await Promise.all([redis, fixtures]);
  return { redisUrl: r.url };
}

export async function stopInfra(): Promise<void> {
  const r = await redis?.catch(() => undefined);
  await r?.server?.stop();
  redis = undefined;
}
