import type { Job } from 'bullmq';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type RunJobData, pinnedImageRef } from '@modelrun/contracts';
import type { Logger } from '@modelrun/logger';
import type { RunQueue } from '@modelrun/queue';
import type { EngineImage, EngineImages } from '@modelrun/runner';
import type { PulledImages } from '../pull-ahead';
import { diskUsage } from './disk-usage';
import { type DiskMarks, type DiskUsage, choosePrunes, refKeys, usedPercent } from './prune-choice';

export interface ImagePrunerDeps {
  engine: EngineImages;
  /** modelrun's record of the images it pulled or ran on this host, and when each was last used. */
  pulled: PulledImages;
  /** The queues of runs whose waiting (and running) runs' images stay. */
  queues: () => RunQueue[];
  /** Images being pulled on this engine now (by runs or ahead of them). */
  inFlight: () => string[];
  marks: DiskMarks;
  /** References never removed (WORKER_KEEP_IMAGES). */
  pinned: readonly string[];
  intervalMs: number;
  registry: Registry;
  log: Logger;
}

export interface PruneReport {
  /** The data root's use in percent when the check began, and when it ended. */
  before: number;
  after: number;
  pruned: { image: string; bytes: number }[];
}

export interface ImagePruner {
  /** One check now (and the pruning it calls for). */
  checkNow(): Promise<PruneReport>;
  stop(): void;
}

/** Waiting runs per queue whose images are looked at: beyond them a pruned image is pulled again when its run comes. */
const WAITING_LOOKED_AT = 2000;

/**
 * Keeps the engine's data root under the high mark: every interval it measures the file system,
 * and above the high mark removes modelrun's images unused the longest until it is under the low
 * mark (prune-choice.ts decides which), measuring again after each removal. Never fails a run:
 * a check that goes wrong is logged and tried again at the next interval.
 */
export function startImagePruner(deps: ImagePrunerDeps): ImagePruner {
  const { engine, log } = deps;
  const m = pruneMetrics(deps.registry);
  let dataRoot: string | undefined;
  let checking: Promise<PruneReport> | undefined;
  let stopped = false;

  const neededImages = async (): Promise<Set<string>> => {
    const needed = new Set(deps.inFlight());
    for (const queue of deps.queues()) {
      const jobs = (await queue.getJobs(['wait', 'prioritized', 'delayed', 'active'], 0, WAITING_LOOKED_AT - 1, true)) as (Job<RunJobData> | undefined)[];
      for (const job of jobs) {
        const image = job?.data?.image;
        if (typeof image !== 'string') continue;
        needed.add(image);
        try {
          needed.add(pinnedImageRef(image));
        } catch {
          // Not a reference: its run fails on its own.
        }
      }
    }
    return needed;
  };

  const checkOnce = async (): Promise<PruneReport> => {
    dataRoot ??= await engine.dataRoot();
    let usage: DiskUsage = await diskUsage(dataRoot);
    const before = usedPercent(usage);
    m.usedPercent.set(before);
    m.checks.inc();
    const report: PruneReport = { before, after: before, pruned: [] };
    if (before <= deps.marks.highPercent) return report;
    const [images, tracked, needed] = await Promise.all([engine.list(), deps.pulled.lastUsed(), neededImages()]);
    const choice = choosePrunes({ images, usage, marks: deps.marks, tracked, needed, pinned: new Set(deps.pinned) });
    log.info('the engine disk is above its high mark: pruning images', {
      dataRoot,
      usedPercent: round(before),
      highPercent: deps.marks.highPercent,
      lowPercent: deps.marks.lowPercent,
      bytesToFree: Math.round(choice.bytesToFree),
      candidates: choice.remove.length,
      kept: countBy(choice.kept.map((k) => k.because)),
    });
    for (const { image, lastUsedMs } of choice.remove) {
      if (stopped) break;
      const name = image.refs[0] ?? image.id;
      const outcome = await engine.remove(image);
      if (outcome === 'removed') {
        m.pruned.inc();
        m.prunedBytes.inc(image.uniqueBytes);
        report.pruned.push({ image: name, bytes: image.uniqueBytes });
        await deps.pulled.forget(trackedRefsOf(image, tracked));
        await deps.pulled.notePruned(image.uniqueBytes).catch((err: Error) => log.warn('could not count a pruned image in Redis', { error: err.message }));
      }
      usage = await diskUsage(dataRoot);
      log.info(outcome === 'removed' ? 'pruned an image' : 'did not prune an image', {
        image: name,
        id: image.id,
        outcome,
        bytes: image.uniqueBytes,
        lastUsedAt: new Date(lastUsedMs).toISOString(),
        usedPercent: round(usedPercent(usage)),
      });
      if (usedPercent(usage) <= deps.marks.lowPercent) break;
    }
    report.after = usedPercent(usage);
    m.usedPercent.set(report.after);
    if (report.after > deps.marks.lowPercent) {
      log.warn('the engine disk is still above its low mark: no more images modelrun may remove (the rest is pinned, needed, in use or not modelrun’s)', {
        dataRoot,
        usedPercent: round(report.after),
        lowPercent: deps.marks.lowPercent,
      });
    }
    return report;
  };

  const checkNow = (): Promise<PruneReport> => {
    // One check at a time; a check asked for during one gets that one's report.
    checking ??= checkOnce().finally(() => {
      checking = undefined;
    });
    return checking;
  };

  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      checkNow()
        .catch((err: Error) => log.warn('could not check the engine disk for pruning', { error: err.message }))
        .finally(schedule);
    }, deps.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    checkNow,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** The references under which modelrun's record holds the image (to forget them once it is gone). */
function trackedRefsOf(image: EngineImage, tracked: ReadonlyMap<string, number>): string[] {
  const keys = new Set(image.refs.flatMap(refKeys));
  return [...tracked.keys()].filter((ref) => refKeys(ref).some((k) => keys.has(k)));
}

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function pruneMetrics(registry: Registry) {
  return {
    usedPercent: new Gauge({
      name: 'modelrun_worker_engine_disk_used_percent',
      help: "Use of the file system holding the engine's data root, in percent, at the image pruner's last check",
      registers: [registry],
    }),
    checks: new Counter({ name: 'modelrun_worker_disk_checks_total', help: "Times the image pruner measured the engine's disk", registers: [registry] }),
    pruned: new Counter({ name: 'modelrun_worker_images_pruned_total', help: 'Images the pruner removed from this host to keep its disk under the high mark', registers: [registry] }),
    prunedBytes: new Counter({ name: 'modelrun_worker_pruned_image_bytes_total', help: 'Bytes of the images the pruner removed (their own layers, as the engine counts them)', registers: [registry] }),
  };
}
