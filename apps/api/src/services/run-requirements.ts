import { type BenchmarkDefinition, type HostRecord, RUNTIME_LABEL, type SubmitRunRequest } from '@modelrun/contracts';
import { type HostFacts, requirementsOf } from '@modelrun/queue';
import { InvalidRequest } from './errors';

/**
 * What a submitted run needs of its host (labels, runtimes): the benchmark's requirements and
 * runtimes, and the labels the submission asks for, which RUN_ALLOWED_LABELS must allow key by
 * key. A runtime is the benchmark's (or the deployment's) to choose, never a submitter's.
 * @returns the canonical `key=value` set (empty: any host takes it)
 */
export function admitRequirements(req: Pick<SubmitRunRequest, 'requires'>, benchmark: BenchmarkDefinition | undefined, allowedLabels: readonly string[]): string[] {
  const asked = req.requires ?? {};
  for (const key of Object.keys(asked)) {
    if (key === RUNTIME_LABEL) throw refused(key, `a run's runtime is set by its benchmark or the deployment (RUN_RUNTIME), not by a submission`);
    if (!allowedLabels.includes(key)) {
      const allowed =
        allowedLabels.length > 0 ? `only ${allowedLabels.join(', ')} may be required here (RUN_ALLOWED_LABELS)` : 'this deployment allows no labels to be required (RUN_ALLOWED_LABELS is empty)';
      throw refused(key, `the label ${key} may not be required: ${allowed}`);
    }
    const fixed = benchmark?.requires?.[key];
    if (fixed !== undefined && fixed !== asked[key]) throw refused(key, `benchmark ${benchmark!.name} requires ${key}=${fixed}`);
  }
  return requirementsOf({ ...benchmark?.requires, ...asked }, [benchmark?.runtime?.model, benchmark?.runtime?.evaluator]);
}

function refused(key: string, message: string): InvalidRequest {
  return new InvalidRequest(`requires.${key}: ${message}`, [{ path: `requires.${key}`, message }]);
}

/**
 * The fleet's hosts as routing reads them (labels, the runtimes their engines reported, whether
 * they take runs), from the registry the workers write; read at most once a second however many
 * queued runs are read, since a list costs a few Redis reads per host.
 */
export function fleetHosts(registry: { list(): Promise<HostRecord[]> }, freshMs = 1_000): () => Promise<HostFacts[]> {
  let last: { at: number; hosts: Promise<HostFacts[]> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > freshMs) {
      const hosts = registry.list().then((list) => list.map((h) => ({ id: h.id, state: h.state, labels: h.labels, runtimes: h.engine?.runtimes ?? [], takingRuns: h.drain === 'active' })));
      // A failed read is not kept: the next asks again.
      hosts.catch(() => (last = undefined));
      last = { at: Date.now(), hosts };
    }
    return last.hosts;
  };
}
