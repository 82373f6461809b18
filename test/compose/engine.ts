import { LABELS } from '@modelrun/contracts';
import { docker, isKeeper } from '../helpers/docker';

export interface ServiceContainer {
  id: string;
  name: string;
  /** The health check's verdict, or the state when the container has no health check. */
  health: string;
}

/** The containers of one compose service (by compose's labels, so v1 and v2 names both work). */
export async function serviceContainers(project: string, service: string): Promise<ServiceContainer[]> {
  const d = await docker();
  const list = await d.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`] } });
  return Promise.all(
    list.map(async (c) => {
      const info = await d.getContainer(c.Id).inspect();
      return { id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), health: info.State.Health?.Status ?? info.State.Status };
    }),
  );
}

/**
 * Counts container creations per run id, live, from the engine's event stream. (Not a `since`
 * query afterwards: the engine keeps only its last 256 events, and other work on the same engine
 * pushes ours out.)
 */
export async function watchRunContainers(deployment: string): Promise<{ counts: Map<string, number>; stop(): void }> {
  const d = await docker();
  const stream = (await d.getEvents({
    filters: { type: ['container'], event: ['create'], label: [`${LABELS.deployment}=${deployment}`] },
  })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  const counts = new Map<string, number>();
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const attributes = (JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } }).Actor?.Attributes;
      const runId = attributes?.[LABELS.runId];
      // A run's output keeper carries its labels too (packages/runner/src/output-keeper.ts): not a model's container.
      if (runId && !isKeeper(attributes)) counts.set(runId, (counts.get(runId) ?? 0) + 1);
    }
  });
  stream.on('error', () => undefined);
  return { counts, stop: () => stream.destroy() };
}

/** How many of `ids` each container's log mentions: which worker did which run. */
export async function runsPerContainer(containers: ServiceContainer[], ids: string[]): Promise<string> {
  const d = await docker();
  const counts: string[] = [];
  for (const c of containers) {
    const logs = (await d.getContainer(c.id).logs({ stdout: true, stderr: true })).toString('utf8');
    counts.push(`${c.name}=${ids.filter((id) => logs.includes(id)).length}`);
  }
  return counts.join(', ');
}
