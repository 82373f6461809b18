import { GPU_RUN_QUEUE, type HostLabels, RUNTIME_LABEL, RUN_QUEUE } from '@modelrun/contracts';

/**
 * Routing by queue. A BullMQ worker cannot skip a job it fetched, so a run that needs something
 * of its host (labels, runtimes) goes to a queue of its own requirement set, which only the
 * workers of hosts that have all of it consume. A run that needs nothing stays in `runs` (or
 * `runs-gpu`), as before routing existed. Everything here is pure: the adapters gather the facts.
 */

/** Separates a routed queue's base (`runs`, `runs-gpu`) from its requirements; never in a label. */
const ROUTE_MARK = '@';

/**
 * A run's requirement set, canonical (sorted, each once), so equal needs share one queue:
 * its labels as `key=value` and `runtime=<name>` for each runtime its containers run under.
 */
export function requirementsOf(labels: Readonly<Record<string, string>> = {}, runtimes: readonly (string | undefined)[] = []): string[] {
  const pairs = new Set<string>(Object.entries(labels).map(([k, v]) => `${k}=${v}`));
  for (const r of runtimes) if (r) pairs.add(`${RUNTIME_LABEL}=${r}`);
  return [...pairs].sort();
}

/**
 * What a host offers: its labels (WORKER_LABELS) and `runtime=<name>` for each runtime its
 * engine has. A label named `runtime` is the engine's to say, so an explicit one is ignored.
 */
export function hostOffer(labels: Readonly<HostLabels>, runtimes: readonly string[]): Set<string> {
  const offer = new Set<string>();
  for (const [k, v] of Object.entries(labels)) if (k !== RUNTIME_LABEL) offer.add(`${k}=${v}`);
  for (const r of runtimes) offer.add(`${RUNTIME_LABEL}=${r}`);
  return offer;
}

/** The requirements a host's offer lacks (none: it can take the run). */
export function unmet(offer: ReadonlySet<string>, requires: readonly string[]): string[] {
  return requires.filter((r) => !offer.has(r));
}

/** The queue of runs with these requirements: `runs@reference=digits,runtime=runsc`; no requirements, the base queue itself. */
export function routedQueueName(base: string, requires: readonly string[]): string {
  return requires.length === 0 ? base : `${base}${ROUTE_MARK}${[...requires].sort().join(',')}`;
}

/** A routed queue's base and requirements; undefined for a name that is not one of runs' queues. */
export function parseQueueName(name: string): { base: string; requires: string[] } | undefined {
  const at = name.indexOf(ROUTE_MARK);
  const base = at < 0 ? name : name.slice(0, at);
  if (base !== RUN_QUEUE && base !== GPU_RUN_QUEUE) return undefined;
  const requires = at < 0 ? [] : name.slice(at + 1).split(',');
  if (requires.some((r) => !/^[^=,]+=[^=,]+$/.test(r))) return undefined;
  return { base, requires };
}

/** Whether a worker with this offer (and GPUs or not) consumes the queue: GPU queues only with GPUs, and every requirement met. */
export function servesQueue(name: string, offer: ReadonlySet<string>, withGpus: boolean): boolean {
  const parsed = parseQueueName(name);
  if (!parsed) return false;
  if (parsed.base === GPU_RUN_QUEUE && !withGpus) return false;
  return unmet(offer, parsed.requires).length === 0;
}

/** A host as the fleet registry lists it, as far as routing reads it. */
export interface HostFacts {
  id: string;
  state: 'live' | 'lost';
  labels: HostLabels;
  runtimes: readonly string[];
  /** A drained (or draining) host takes no runs, whatever it has. */
  takingRuns: boolean;
}

/**
 * Why a queued run with these requirements has no host, in words for its submitter:
 * `a host with reference=digits (no live host has it; hosts: a (zone=a), b)`; undefined when a
 * live host that takes runs has all of them (the run waits only for a free slot there).
 */
export function waitingFor(requires: readonly string[], hosts: readonly HostFacts[]): string | undefined {
  if (requires.length === 0) return undefined;
  const able = hosts.filter((h) => h.state === 'live' && unmet(hostOffer(h.labels, h.runtimes), requires).length === 0);
  if (able.some((h) => h.takingRuns)) return undefined;
  const live = hosts.filter((h) => h.state === 'live');
  const why = able.length > 0 ? `every live host that has it is drained: ${able.map((h) => h.id).join(', ')}` : 'no live host has it';
  // A host's runtimes only matter (and are only listed) when the run needs one.
  const withRuntimes = requires.some((r) => r.startsWith(`${RUNTIME_LABEL}=`));
  const list = live.length > 0 ? `hosts: ${live.map((h) => describeHost(h, withRuntimes)).join(', ')}` : 'no live hosts';
  return `a host with ${requires.join(', ')} (${why}; ${list})`;
}

/** `a (zone=a)`, `a (zone=a, runtime=runc)` with its runtimes, or `b` for a host with nothing to list. */
function describeHost(h: HostFacts, withRuntimes: boolean): string {
  const labels = Object.entries(h.labels).map(([k, v]) => `${k}=${v}`);
  const all = [...labels, ...(withRuntimes ? h.runtimes.map((r) => `${RUNTIME_LABEL}=${r}`) : [])];
  return all.length > 0 ? `${h.id} (${all.join(', ')})` : h.id;
}
