import assert from 'node:assert/strict';
import { mock } from 'node:test';
import { InfrastructureError, ModelFault, PullTracker, classifyPullFailure, throttled } from '@modelrun/runner';

describe('pulling an image', () => {
  describe('classifyPullFailure (the engine 20.10 messages, as seen against docker-registry 2.8)', () => {
    const image = 'reg.example:5000/team/m:1';
    const classify = (status: number | undefined, message: string, withCredentials = true) => classifyPullFailure(image, { status, message, withCredentials, registry: 'reg.example:5000' });
    const reasonOf = (e: Error): string => (e instanceof ModelFault ? e.reason : e instanceof InfrastructureError ? 'infrastructure' : 'other');

    it('calls a missing tag or repository image_not_found', () => {
      assert.equal(reasonOf(classify(404, 'manifest for reg.example:5000/team/m:1 not found: manifest unknown: manifest unknown')), 'image_not_found');
      assert.equal(reasonOf(classify(404, "pull access denied for team/m, repository does not exist or may require 'docker login'")), 'image_not_found');
      assert.equal(reasonOf(classify(undefined, 'manifest unknown')), 'image_not_found');
    });

    it('calls missing or refused credentials registry_auth, and says which', () => {
      const missing = classify(500, 'Head "http://reg.example:5000/v2/team/m/manifests/1": no basic auth credentials', false);
      assert.equal(reasonOf(missing), 'registry_auth');
      assert.match(missing.message, /requires credentials and REGISTRY_AUTH_FILE has none for it/);
      const refused = classify(500, 'unauthorized: authentication required');
      assert.equal(reasonOf(refused), 'registry_auth');
      assert.match(refused.message, /refused the credentials REGISTRY_AUTH_FILE has for it/);
      assert.equal(reasonOf(classify(undefined, 'denied: requested access to the resource is denied')), 'registry_auth');
      assert.equal(reasonOf(classify(403, 'forbidden')), 'registry_auth');
    });

    it('calls an unreachable or failing registry infrastructure (retried)', () => {
      for (const [status, message] of [
        [500, 'Get "http://reg.example:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused'],
        [500, 'Get "https://reg.example/v2/": dial tcp: lookup reg.example: no such host'],
        [500, 'received unexpected HTTP status: 503 Service Unavailable'],
        [undefined, 'net/http: TLS handshake timeout'],
        [undefined, 'unexpected EOF'],
      ] as const) {
        assert.equal(reasonOf(classify(status, message)), 'infrastructure', message);
      }
    });
  });

  describe('PullTracker', () => {
    it('adds up the layers being downloaded, with a total once every one has reported its size', () => {
      const t = new PullTracker();
      assert.equal(t.update({ status: 'Pulling from team/m', id: '1' }), undefined);
      t.update({ status: 'Pulling fs layer', id: 'a' });
      t.update({ status: 'Pulling fs layer', id: 'b' });
      t.update({ status: 'Already exists', id: 'c' });
      assert.deepEqual(t.update({ status: 'Downloading', id: 'a', progressDetail: { current: 100, total: 1000 } }), { bytesDone: 100 });
      assert.deepEqual(t.update({ status: 'Downloading', id: 'b', progressDetail: { current: 50, total: 500 } }), { bytesDone: 150, bytesTotal: 1500 });
      assert.deepEqual(t.update({ status: 'Download complete', id: 'b' }), { bytesDone: 600, bytesTotal: 1500 });
      assert.equal(t.update({ status: 'Extracting', id: 'b', progressDetail: { current: 10, total: 500 } }), undefined);
      assert.deepEqual(t.update({ status: 'Downloading', id: 'a', progressDetail: { current: 1000, total: 1000 } }), { bytesDone: 1500, bytesTotal: 1500 });
      assert.equal(t.hasUnsizedLayers(), false);
    });

    it('says when a downloaded layer never said its size (fetched between two progress lines, as CI saw)', () => {
      const t = new PullTracker();
      t.update({ status: 'Pulling fs layer', id: 'a' });
      t.update({ status: 'Already exists', id: 'c' });
      t.update({ status: 'Download complete', id: 'a' });
      assert.deepEqual([t.knownBytes(), t.hasUnsizedLayers()], [0, true], 'its bytes are unknown, not 0: the pull takes the image size instead');
    });
  });

  describe('throttled', () => {
    // Node's mock clock (setTimeout and Date, which throttled reads) instead of real waits:
    // the window is stepped through, not slept through.
    beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
    afterEach(() => mock.timers.reset());

    it('sends the first value at once, then at most one per window, always the latest, none after cancel', () => {
      const sent: number[] = [];
      const t = throttled((v: number) => sent.push(v), 100);
      t.call(1);
      t.call(2);
      t.call(3);
      assert.deepEqual(sent, [1]);
      mock.timers.tick(99);
      assert.deepEqual(sent, [1], 'nothing more inside the window');
      mock.timers.tick(1);
      assert.deepEqual(sent, [1, 3]);
      t.call(4);
      t.flush();
      assert.deepEqual(sent, [1, 3, 4]);
      t.call(5);
      t.call(6);
      t.cancel();
      mock.timers.tick(1000);
      assert.deepEqual(sent, [1, 3, 4]);
    });
  });
});
