/**
 * Pulls (issue 15, target 2): a batch whose images are not on the host, from a local registry
 * (Debian's docker-registry, as the tests start it). Images of incompressible layers (a random
 * file on the static busybox), each run twice and working a few seconds, at concurrency 2.
 * Baseline: dockerode pulling then running each run in 2 lanes. modelrun: the batch POSTed at
 * once to one worker of WORKER_CONCURRENCY=2, which pulls ahead. The images are removed from the
 * engine before each side, so both pull every image.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { loadWorkerConfig } from '@modelrun/config';
import { createDocker } from '@modelrun/runner';
import { startWorker } from '@modelrun/worker';
import { buildImage } from '../test/helpers/docker';
import { removeContainersOf } from '../test/helpers/docker';
import { testLogger } from '../test/helpers/logger';
import { watchPulls } from '../test/helpers/pull-watch';
import { pushImage, startRegistry } from '../test/helpers/registry';
import { startStack } from '../test/helpers/stack';
import { BASE_IMAGE, buildFixtures } from '../test/fixtures/images';
import { type DirectSettings, directRun } from './orchestration/baseline';
import type { BenchConfig } from './lib/config';
import { nowMs } from './lib/stats';
import type { Row } from './lib/table';

const MB = 1024 * 1024;

/** The batch in submission order: each image's runs one after the other. */
function batch(images: string[], runsPerImage: number): string[] {
  return images.flatMap((image) => Array.from({ length: runsPerImage }, () => image));
}

async function pull(docker: Docker, image: string, auth: { username: string; password: string; serveraddress: string }): Promise<void> {
  const stream = await docker.pull(image, { authconfig: auth });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
}

/** Removes the images by tag, so the next side pulls every layer again. */
async function removeImages(docker: Docker, images: string[]): Promise<void> {
  for (const image of images)
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
}

export async function pullsBench(cfg: BenchConfig['pulls'], redisUrl: string, log: (s: string) => void): Promise<{ rows: Row[]; raw: unknown }> {
  const user = { username: 'bench', password: randomBytes(12).toString('hex') };
  const registry = await startRegistry([user]);
  const auth = { ...user, serveraddress: registry.host };
  const dir = mkdtempSync(join(tmpdir(), 'modelrun-bench-pulls-'));
  writeFileSync(join(dir, 'auth.json'), JSON.stringify({ auths: { [registry.host]: user } }));
  const docker = createDocker(undefined);
  const repo = `bench/p${randomBytes(3).toString('hex')}`;
  const sizes = Array.from({ length: cfg.images }, (_, i) => Math.round(cfg.mbMin + ((cfg.mbMax - cfg.mbMin) * i) / Math.max(1, cfg.images - 1)));
  const images = sizes.map((_, i) => `${registry.host}/${repo}:m${i}`);
  const script = `sleep ${cfg.workSeconds}; echo '{"score": 1}' > "$OUTPUT_DIR/score.json"`;
  const stack = await startStack({ workers: 0, redisUrl, env: { WORKER_CONCURRENCY: String(cfg.concurrency), REGISTRY_AUTH_FILE: join(dir, 'auth.json') } });
  const w = loadWorkerConfig(stack.env);
  const direct: Omit<DirectSettings, 'image'> = {
    docker,
    deployment: `bp${randomBytes(4).toString('hex')}`,
    limits: w.limits.defaults,
    policy: { pidsLimit: w.sandbox.pidsLimit, tmpMb: w.sandbox.tmpMb, logMaxBytes: w.sandbox.logMaxBytes },
    outputMaxBytes: w.sandbox.outputMaxBytes,
  };
  try {
    await buildFixtures();
    const t0 = nowMs();
    for (const [i, image] of images.entries()) {
      const source = `modelrun-bench/pulls-${randomBytes(3).toString('hex')}:latest`;
      // FROM the static busybox, plus one file of random bytes: a layer nothing can compress.
      await buildImage(source, { Dockerfile: `FROM ${BASE_IMAGE}\nCOPY blob /blob\nCMD ${JSON.stringify(['/bin/sh', '-c', script])}\n`, blob: randomBytes(sizes[i]! * MB) });
      await pushImage(docker, source, image, auth);
      await docker.getImage(source).remove({ force: true });
    }
    log(`pulls: ${images.length} images of ${sizes.join(', ')} MB pushed to ${registry.host} in ${((nowMs() - t0) / 1000).toFixed(0)} s`);
    const runs = batch(images, cfg.runsPerImage);

    // Baseline: each lane pulls the run's image, then runs it, as a script with dockerode would.
    await removeImages(docker, images);
    let pulls = await watchPulls(docker);
    let next = 0;
    const b0 = nowMs();
    await Promise.all(
      Array.from({ length: cfg.concurrency }, async () => {
        while (next < runs.length) {
          const image = runs[next++]!;
          await pull(docker, image, auth);
          await directRun({ ...direct, image });
        }
      }),
    );
    const baselineS = (nowMs() - b0) / 1000;
    pulls.stop();
    const baselinePulls = images.map((i) => pulls.count(i));
    log(`pulls: baseline ${baselineS.toFixed(1)} s (pulls per image ${baselinePulls.join(' ')})`);

    // modelrun: the whole batch POSTed, one worker with `concurrency` slots pulling ahead.
    await removeImages(docker, images);
    stack.workers.push(await startWorker(loadWorkerConfig(stack.env), testLogger('worker')));
    pulls = await watchPulls(docker);
    const m0 = nowMs();
    const submitted = [];
    for (const [i, image] of runs.entries()) submitted.push(await stack.submit(image, `pulls-${i}`));
    const done = await Promise.all(submitted.map((r) => stack.waitForRun(r.id, undefined, 30 * 60_000)));
    const modelrunS = (nowMs() - m0) / 1000;
    const bad = done.filter((r) => r.status !== 'succeeded');
    if (bad.length) throw new Error(`${bad.length} pull-bench runs did not succeed: ${JSON.stringify(bad[0])}`);
    pulls.stop();
    const modelrunPulls = images.map((i) => pulls.count(i));
    log(`pulls: modelrun ${modelrunS.toFixed(1)} s (pulls per image ${modelrunPulls.join(' ')})`);
    const ratio = modelrunS / baselineS;
    return {
      rows: [
        {
          bench: 'pulls',
          metric: `batch: ${runs.length} runs, ${images.length} new images`,
          value: modelrunS,
          unit: 's',
          baseline: baselineS,
          baselineName: 'dockerode pull + run',
          ratio,
          target: '<= 0.75x',
          pass: ratio <= 0.75,
          note: `${cfg.images} images of ${cfg.mbMin}-${cfg.mbMax} MB (random bytes) from a local docker-registry, ${cfg.runsPerImage} runs each of sleep ${cfg.workSeconds}, concurrency ${cfg.concurrency}; engine pulls per image: modelrun ${modelrunPulls.join(' ')}, baseline ${baselinePulls.join(' ')}`,
        },
      ],
      raw: { sizesMb: sizes, baselineS, modelrunS, baselinePulls, modelrunPulls },
    };
  } finally {
    await stack.stop();
    await removeContainersOf(direct.deployment);
    await removeImages(docker, images);
    await registry.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
