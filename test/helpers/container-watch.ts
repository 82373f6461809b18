import { LABELS } from '@modelrun/contracts';
import { containersOf } from './docker';

/**
 * Records every container ID that ever carried a run's label while it watches, polling the
 * engine every 100 ms: "one container per run" is checked over the run's whole life.
 */
export function watchContainers(deployment: string): { idsFor(runId: string): Set<string>; stop(): void } {
  const seen = new Map<string, Set<string>>();
  let stopped = false;
  const poll = async (): Promise<void> => {
    while (!stopped) {
      for (const c of await containersOf(deployment).catch(() => [])) {
        const runId = c.Labels[LABELS.runId] ?? '';
        if (!seen.has(runId)) seen.set(runId, new Set());
        seen.get(runId)!.add(c.Id);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  void poll();
  return {
    idsFor: (runId) => seen.get(runId) ?? new Set(),
    stop: () => {
      stopped = true;
    },
  };
}
