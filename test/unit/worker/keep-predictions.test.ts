import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWorkerConfig } from '@modelrun/config';
import { ResultsStore } from '@modelrun/store';
import type { AdmittedRun, ProcessorDeps } from '../../../apps/worker/src/run/context';
import { predictionsKeeper } from '../../../apps/worker/src/run/kept-results';

const RUN_ID = '01a24dd3-61e9-7418-af88-9cfb3af3d456';

describe('KEEP_PREDICTIONS: whether a benchmark run keeps what its evaluator got', () => {
  let dir: string;
  const ctx = { run: { id: RUN_ID, name: 'honest' }, log: { warn: () => undefined } } as unknown as AdmittedRun;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'modelrun-keep-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is on by default, and off when set so', () => {
    assert.equal(loadWorkerConfig({}).keepPredictions, true);
    assert.equal(loadWorkerConfig({ KEEP_PREDICTIONS: 'off' }).keepPredictions, false);
  });

  it('on: the tar goes to DATA_DIR/predictions/<model>/<run-id>.tar', async () => {
    const results = new ResultsStore(dir);
    const keeper = predictionsKeeper({ results, keepPredictions: true } as unknown as ProcessorDeps, ctx);
    await keeper.keepPredictions!(Buffer.from('a tar'));
    assert.equal(readFileSync(join(dir, 'predictions', 'honest', `${RUN_ID}.tar`), 'utf8'), 'a tar');
    assert.equal(await results.predictionsBytes('honest', RUN_ID), 5);
  });

  it('off: nothing is kept', () => {
    const keeper = predictionsKeeper({ results: new ResultsStore(dir), keepPredictions: false } as unknown as ProcessorDeps, ctx);
    assert.equal(keeper.keepPredictions, undefined);
  });
});
