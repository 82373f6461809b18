import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABELS, type RunView } from '@modelrun/contracts';
import { buildImage, docker, isKeeper } from '../helpers/docker';
import { type Credentials, type TestRegistry, pushImage, startRegistry } from '../helpers/registry';
import { type Stack, startStack } from '../helpers/stack';
import { BASE_IMAGE, buildFixtures } from '../fixtures/images';

/**
 * Issue 18: a run records the image it really ran, the digest its tag resolved to at the first
 * pull, and a retry runs that digest even when the tag has been pushed again in between. Proven
 * against Debian's docker-registry: v1 is pushed, the run starts, v2 is pushed under the same
 * tag, the host's copies are removed (so the retry must pull) and the first try's container is
 * removed under it (an infrastructure fault, retried). The retry's score says which image ran.
 */
describe('image provenance: the digest pinned across a retry', function () {
  this.timeout(60_000);
  const alice: Credentials = { username: 'alice', password: `pw-${randomBytes(12).toString('hex')}` };
  const repo = `prov/m${randomBytes(4).toString('hex')}`;
  const suffix = randomBytes(3).toString('hex');
  const v1Source = `modelrun-test/provenance-v1-${suffix}:latest`;
  const v2Source = `modelrun-test/provenance-v2-${suffix}:latest`;
  let registry: TestRegistry;
  let stack: Stack;
  let dir: string;

  /** The digest the registry serves for `reference` (a tag), as the engine would resolve it. */
  const registryDigest = async (reference: string): Promise<string> => {
    const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/${reference}`, {
      method: 'HEAD',
      headers: {
        Authorization: `Basic ${Buffer.from(`${alice.username}:${alice.password}`).toString('base64')}`,
        Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
      },
    });
    assert.equal(res.status, 200, `the registry has ${repo}:${reference}`);
    return res.headers.get('docker-content-digest')!;
  };
  /** The digest part (`sha256:…`) of the pinned image a run's record names. */
  const registryDigestOf = async (runId: string): Promise<string> => {
    const view = (await stack.http.get(`/v1/runs/${runId}`).set(stack.auth)).body as RunView;
    assert.ok(view.imageDigest, `run ${runId} has a pinned digest`);
    return view.imageDigest.slice(view.imageDigest.indexOf('@') + 1);
  };
  /** Removes every copy of the repository on this host (by tag and by digest), so a run must pull. */
  const forgetLocalCopies = async (): Promise<void> => {
    const d = await docker();
    const mine = await d.listImages({ filters: { reference: [`${registry.host}/${repo}`] } });
    const refs = mine.flatMap((img) => [...(img.RepoTags ?? []), ...(img.RepoDigests ?? [])]).filter((r) => r.startsWith(`${registry.host}/${repo}`));
    for (const ref of refs)
      await d
        .getImage(ref)
        .remove({ force: true })
        .catch(() => undefined);
  };

  before(async () => {
    await buildFixtures();
    // v1 works long enough for its first try to be cut short; v2 would score at once, and differently.
    await buildImage(v1Source, { Dockerfile: `FROM ${BASE_IMAGE}\nCMD ["/bin/sh", "-c", "echo v1; sleep 6; echo '{\\"score\\": 0.11}' > $OUTPUT_DIR/score.json"]\n` });
    await buildImage(v2Source, { Dockerfile: `FROM ${BASE_IMAGE}\nCMD ["/bin/sh", "-c", "echo v2; echo '{\\"score\\": 0.22}' > $OUTPUT_DIR/score.json"]\n` });
    registry = await startRegistry([alice]);
    dir = mkdtempSync(join(tmpdir(), 'modelrun-auth-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [registry.host]: { username: alice.username, password: alice.password } } }));
    stack = await startStack({ env: { REGISTRY_AUTH_FILE: join(dir, 'config.json'), RUN_ATTEMPTS: '3', RUN_BACKOFF_MS: '500' } });
  });
  after(async () => {
    await stack?.stop();
    if (registry) await forgetLocalCopies();
    await registry?.dispose();
    const d = await docker();
    for (const source of [v1Source, v2Source])
      await d
        .getImage(source)
        .remove({ force: true })
        .catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("records v1's digest and runs v1 on the retry, though the tag was pushed again (v2) and the host's copy removed before it", async () => {
    const d = await docker();
    const tag = `${registry.host}/${repo}:latest`;
    const auth = { ...alice, serveraddress: registry.host };
    await pushImage(d, v1Source, tag, auth);
    const v1 = await registryDigest('latest');

    const submitted = await stack.submit(tag, 'pinned-model');
    await stack.waitForPhase(submitted.id, 'running');

    // While the first try runs: the tag moves to v2, and this host forgets every copy it had.
    await pushImage(d, v2Source, tag, auth);
    const v2 = await registryDigest('latest');
    assert.notEqual(v2, v1, 'the tag now names another image');
    await d.getImage(v2Source).remove({ force: true });
    await forgetLocalCopies();

    // The first try's container goes from under it: an infrastructure fault, so the run is retried.
    const containers = await d.listContainers({ all: true, filters: { label: [`${LABELS.runId}=${submitted.id}`] } });
    const first = containers.find((c) => !isKeeper(c.Labels));
    assert.ok(first, "the first try's container");
    await d.getContainer(first.Id).remove({ force: true });

    const done = await stack.waitForRun(submitted.id, undefined, 40_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.ok(done.attempts! >= 2, `retried: attempts ${done.attempts}`);
    assert.ok(done.attemptErrors?.length, 'the cut-short try is on the record');
    assert.equal(done.imageDigest, `${registry.host}/${repo}@${v1}`, "the record names v1's digest");
    assert.equal(done.score, 0.11, 'the retry ran v1 (v2 scores 0.22)');
    assert.ok(done.host, 'the record names the host that ran the last try');

    // The retry pulled v1 by its digest; the moved tag was never pulled again.
    const local = await d.listImages({ filters: { reference: [`${registry.host}/${repo}`] } });
    const digests = local.flatMap((img) => img.RepoDigests ?? []);
    assert.ok(digests.includes(`${registry.host}/${repo}@${v1}`), `v1 pulled by digest: ${digests.join(', ')}`);
    assert.ok(!digests.includes(`${registry.host}/${repo}@${v2}`), 'v2 was never pulled');
    assert.ok(!local.some((img) => img.RepoTags?.includes(tag)), 'the tag was not pulled again');
  });

  it("re-runs the run with v1's digest, though the tag names v2 now (POST /v1/runs/{id}/rerun)", async () => {
    const runs = await stack.http.get('/v1/models/pinned-model').set(stack.auth);
    const original = (runs.body as { runs: RunView[] }).runs.at(-1)!;
    const v1 = `${registry.host}/${repo}@${await registryDigestOf(original.id)}`;
    const res = await stack.http.post(`/v1/runs/${original.id}/rerun`).set(stack.auth);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const queued = res.body as RunView;
    assert.equal(queued.image, v1, 'the re-run is queued with the pinned digest, not the tag');
    assert.equal(queued.rerunOf, original.id);
    const done = await stack.waitForRun(queued.id, undefined, 40_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.score, 0.11, 'the re-run ran v1 (v2 scores 0.22)');
    assert.equal(done.imageDigest, v1);
  });

  it('serves the pinned digest on the run view, and the tag it was submitted as', async () => {
    const runs = await stack.http.get('/v1/models/pinned-model').set(stack.auth);
    assert.equal(runs.status, 200);
    // Newest first: the first run submitted is the last (the re-run above is newer).
    const id = (runs.body as { runs: RunView[] }).runs.at(-1)!.id;
    const view = (await stack.http.get(`/v1/runs/${id}`).set(stack.auth)).body as RunView;
    assert.equal(view.image, `${registry.host}/${repo}:latest`);
    assert.match(view.imageDigest ?? '', new RegExp(`^${registry.host.replace(/\./g, '\\.')}/${repo}@sha256:[0-9a-f]{64}$`));
  });
});
