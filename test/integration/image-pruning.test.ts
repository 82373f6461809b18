import assert from 'node:assert/strict';
import { statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { GPU_RUN_QUEUE, RUN_JOB, type RunJobData, newRunId } from '@modelrun/contracts';
import type { StartedWorker } from '@modelrun/worker';
import { TestEngine } from '../helpers/docker-engine';
import { testRedis } from '../helpers/redis-server';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { buildFixture, buildFixtures, fixture } from '../fixtures/images';

const MB = 1024 * 1024;
/** The test engine's data root: a tmpfs this small, so a few images of 12 MiB each move its use by whole points. */
const DATA_ROOT_MB = 128;
const HOST = 'prune-host';
// Each image: the shared busybox base plus 12 MiB of its own (random, so no two share it).
const IMAGES = { lru: 'prune-lru', second: 'prune-second', needed: 'prune-needed', pinned: 'prune-pinned' } as const;
const ref = (name: string): string => fixture(name);

function percentUsed(dir: string): number {
  const s = statfsSync(dir);
  const used = (s.blocks - s.bfree) * s.bsize;
  return (100 * used) / (used + s.bavail * s.bsize);
}

async function metric(w: StartedWorker, name: string): Promise<number> {
  const text = await (await fetch(`${w.metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('image pruning: the engine disk kept under its high mark', function () {
  // An engine boots on a tmpfs and four images are copied into it; the pruner checks every second.
  this.timeout(120_000);
  let engine: TestEngine;
  let stack: Stack;
  let redis: Redis;
  let dataRoot: string;

  before(async () => {
    await buildFixtures();
    for (const name of Object.values(IMAGES)) {
      await buildFixture(name, { setup: [`RUN dd if=/dev/urandom of=/blob-${name} bs=1M count=12 2>/dev/null`], script: `echo '{"score": 0.5}' > "$OUTPUT_DIR/score.json"` });
    }
    engine = await TestEngine.start({ name: 'prune', dataRootMb: DATA_ROOT_MB });
    await engine.loadImages(Object.values(IMAGES).map(ref));
    dataRoot = String(((await engine.docker.info()) as { DockerRootDir: string }).DockerRootDir);
    stack = await startStack({ workers: 0, api: false });
    redis = testRedis(stack.redisUrl);
  });
  after(async () => {
    redis?.disconnect();
    await stack?.stop();
    await engine?.destroy();
  });

  const present = async (): Promise<string[]> => {
    const tags = (await engine.docker.listImages()).flatMap((i) => i.RepoTags ?? []);
    return Object.values(IMAGES).filter((name) => tags.includes(ref(name)));
  };

  it('removes the image unused the longest once above the mark, never a pinned one or one a waiting run needs, and nothing more below the low mark', async () => {
    // modelrun's record of when runs last used each image on this host (the worker writes it as runs start).
    const hour = 3600_000;
    const now = Date.now();
    // The pinned image and the needed one are the two unused the longest: without their protection they would go first.
    const usedAt = { [IMAGES.pinned]: now - 5 * hour, [IMAGES.needed]: now - 4.5 * hour, [IMAGES.lru]: now - 4 * hour, [IMAGES.second]: now - 3 * hour };
    for (const [name, at] of Object.entries(usedAt)) await redis.hset(`${stack.prefix}:images:used:${HOST}`, ref(name), new Date(at).toISOString());
    // A waiting run needs one of them: a GPU run, which this CPU-only worker never takes, so it stays waiting.
    const gpuQueue = new Queue<RunJobData>(GPU_RUN_QUEUE, { connection: redis, prefix: stack.prefix });
    const id = newRunId();
    await gpuQueue.add(
      RUN_JOB,
      { id, name: 'waits', image: ref(IMAGES.needed), limits: { timeoutSeconds: 60, memoryMb: 64, cpus: 1, gpus: 1 }, createdAt: new Date().toISOString() },
      { jobId: id, priority: 1 },
    );
    await gpuQueue.close();

    // The marks around today's use: 5 MiB more crosses the high one; removing one image (12 MiB) gets under the low one.
    const base = percentUsed(dataRoot);
    const point = 100 / DATA_ROOT_MB; // one MiB, in percent
    const high = base + 5 * point;
    const low = base + 2 * point;
    const w = await stack.startWorker({
      DOCKER_HOST: engine.dockerHost,
      WORKER_HOST_ID: HOST,
      PULL_AHEAD: 'off',
      WORKER_DISK_HIGH_PERCENT: high.toFixed(2),
      WORKER_DISK_LOW_PERCENT: low.toFixed(2),
      WORKER_DISK_CHECK_SECONDS: '1',
      WORKER_KEEP_IMAGES: ref(IMAGES.pinned),
    });

    // Below the high mark: checked, nothing removed.
    await waitFor('two checks of the disk', async () => ((await metric(w, 'modelrun_worker_disk_checks_total')) >= 2 ? true : undefined), 20_000, 100);
    assert.deepEqual(await present(), Object.values(IMAGES));
    assert.equal(await metric(w, 'modelrun_worker_images_pruned_total'), 0);

    // Something else fills the disk past the high mark (8 MiB).
    writeFileSync(join(dataRoot, 'filler'), Buffer.alloc(8 * MB, 1));
    assert.ok(percentUsed(dataRoot) > high, `filled to ${percentUsed(dataRoot).toFixed(1)} %, high mark ${high.toFixed(1)} %`);
    await waitFor('an image to be pruned', async () => ((await metric(w, 'modelrun_worker_images_pruned_total')) >= 1 ? true : undefined), 30_000, 100);
    assert.deepEqual(await present(), [IMAGES.second, IMAGES.needed, IMAGES.pinned]);
    assert.ok(percentUsed(dataRoot) <= low, `after pruning: ${percentUsed(dataRoot).toFixed(1)} %, low mark ${low.toFixed(1)} %`);
    // The record forgets what is gone, and the host's totals (its record in the fleet view) count it.
    assert.equal(await redis.hexists(`${stack.prefix}:images:used:${HOST}`, ref(IMAGES.lru)), 0);
    const totals = await redis.hgetall(`${stack.prefix}:images:pruned:${HOST}`);
    assert.equal(totals.count, '1');
    assert.ok(Number(totals.bytes) >= 12 * MB, JSON.stringify(totals));

    // Under the low mark the next checks remove nothing more.
    const checks = await metric(w, 'modelrun_worker_disk_checks_total');
    await waitFor('two more checks', async () => ((await metric(w, 'modelrun_worker_disk_checks_total')) >= checks + 2 ? true : undefined), 20_000, 100);
    assert.equal(await metric(w, 'modelrun_worker_images_pruned_total'), 1);
    assert.deepEqual(await present(), [IMAGES.second, IMAGES.needed, IMAGES.pinned]);
    assert.ok((await metric(w, 'modelrun_worker_pruned_image_bytes_total')) >= 12 * MB);
  });
});
