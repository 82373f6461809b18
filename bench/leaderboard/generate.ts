import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FailureReason, RunRecord, runIdAt } from '@modelrun/contracts';
import { RecordStore } from '@modelrun/store';
import { seeded } from '../../test/helpers/seeded-random';

export interface VolumeSpec {
  dataDir: string;
  runs: number;
  models: number;
  seed?: number;
}

export interface GeneratedVolume {
  runs: number;
  models: number;
  /** The model with the most runs: the worst case for GET /v1/models/{name}. */
  largest: { name: string; runs: number };
  /** Names to cycle through for "any model" requests. */
  names: string[];
  ms: number;
}

const FAMILIES = ['resnet', 'bert', 'xgb', 'logreg', 'vit', 'lstm', 'gbm', 'mlp'];
const DAY_MS = 24 * 3600 * 1000;

/**
 * Every model gets one run, the rest follow a Zipf-like law (a few models hold most runs), as
 * on a real leaderboard where a handful of models are retrained all the time.
 */
function runsPerModel(runs: number, models: number, random: () => number): number[] {
  const counts = new Array<number>(models).fill(runs >= models ? 1 : 0);
  const weights = counts.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((s, w) => s + w, 0);
  const cumulative: number[] = [];
  weights.reduce((s, w, i) => (cumulative[i] = s + w / total), 0);
  for (let left = runs - counts.reduce((s, c) => s + c, 0); left > 0; left--) {
    const r = random();
    let lo = 0;
    let hi = models - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]!++;
  }
  return counts;
}

function makeRecord(name: string, at: number, random: () => number): RunRecord {
  const roll = random();
  const durationMs = Math.round(300 + random() * 60_000);
  const startedAt = at + Math.round(50 + random() * 500);
  const base = {
    version: 1 as const,
    id: runIdAt(at),
    name,
    image: `registry.example/team/${name}:v${1 + Math.floor(random() * 3)}`,
    limits: { timeoutSeconds: 600, memoryMb: 1024, cpus: 1, gpus: 0 },
    createdAt: new Date(at).toISOString(),
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(startedAt + durationMs).toISOString(),
    durationMs,
    attempts: 1,
    logBytes: Math.round(random() * 4096),
  };
  if (roll < 0.85) {
    const score = Math.round(random() * 1e4) / 1e4;
    return { ...base, status: 'succeeded', exitCode: 0, score, metrics: { accuracy: score, loss: Math.round((1 - score) * 1e4) / 1e4 } };
  }
  const reason: FailureReason = roll < 0.95 ? 'exit_code' : 'bad_output';
  return { ...base, status: 'failed', reason, exitCode: reason === 'exit_code' ? 1 : 0, error: reason === 'exit_code' ? 'the model exited with code 1' : 'the model wrote no score file' };
}

/** The bytes RecordStore.writeRecord puts on disk for a record (checked against it below). */
export function serialize(record: RunRecord): string {
  return `${JSON.stringify(RunRecord.parse(record), null, 2)}\n`;
}

/**
 * Writes `runs` valid run records across `models` models in the worker's exact layout. The
 * first records go through RecordStore.writeRecord itself and the fast path (plain writes, no
 * fsync: 100k fsyncs would take minutes) must produce the same bytes, or generation fails.
 */
export async function generateVolume(spec: VolumeSpec): Promise<GeneratedVolume> {
  const t0 = performance.now();
  const random = seeded(spec.seed ?? 7);
  const store = new RecordStore(spec.dataDir);
  const names = Array.from({ length: spec.models }, (_, i) => `${FAMILIES[i % FAMILIES.length]}-${String(i).padStart(5, '0')}`);
  const counts = runsPerModel(spec.runs, spec.models, random);
  // Runs are spread over the last 30 days, in time order, so ids ascend as the worker's would.
  const now = Date.now() - DAY_MS;
  const step = (30 * DAY_MS) / Math.max(1, spec.runs);
  const owners: string[] = [];
  counts.forEach((c, i) => {
    for (let k = 0; k < c; k++) owners.push(names[i]!);
  });
  for (let i = owners.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [owners[i], owners[j]] = [owners[j]!, owners[i]!];
  }
  await Promise.all(names.filter((_, i) => counts[i]! > 0).map((n) => mkdir(store.layout.modelDir(n), { recursive: true })));

  const records = owners.map((name, i) => makeRecord(name, now - 30 * DAY_MS + Math.round(i * step), random));
  const checked = Math.min(10, records.length);
  for (let i = 0; i < checked; i++) {
    const r = records[i]!;
    await store.writeRecord(r);
    const onDisk = await readFile(store.layout.recordPath(r.name, r.id), 'utf8');
    if (onDisk !== serialize(r)) throw new Error('the generator no longer writes what RecordStore.writeRecord writes; update serialize()');
  }
  let next = checked;
  const lane = async (): Promise<void> => {
    while (next < records.length) {
      const r = records[next++]!;
      await writeFile(store.layout.recordPath(r.name, r.id), serialize(r));
    }
  };
  await Promise.all(Array.from({ length: 32 }, lane));

  let largest = 0;
  counts.forEach((c, i) => {
    if (c > counts[largest]!) largest = i;
  });
  return {
    runs: records.length,
    models: counts.filter((c) => c > 0).length,
    largest: { name: names[largest]!, runs: counts[largest]! },
    names: names.filter((_, i) => counts[i]! > 0),
    ms: performance.now() - t0,
  };
}

/**
 * A generated volume kept under the temp folder between runs (a million files take many minutes
 * to write): generated once, then reused by every later run with the same size and seed. The
 * marker file is written last, so a generation broken off is redone, never half used.
 */
export async function cachedVolume(runs: number, models: number): Promise<GeneratedVolume & { dataDir: string; cached: boolean }> {
  const dataDir = join(tmpdir(), 'modelrun-bench-lb-cache', `${runs}-${models}-seed7`);
  const marker = join(dataDir, '.generated.json');
  try {
    return { ...(JSON.parse(await readFile(marker, 'utf8')) as GeneratedVolume), dataDir, cached: true };
  } catch {
    await rm(dataDir, { recursive: true, force: true });
    await mkdir(dataDir, { recursive: true });
    const vol = await generateVolume({ dataDir, runs, models });
    await writeFile(marker, JSON.stringify(vol));
    return { ...vol, dataDir, cached: false };
  }
}
