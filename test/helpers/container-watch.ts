import type Docker from 'dockerode';
import { LABELS } from '@modelrun/contracts';
import { docker, isKeeper } from './docker';

/** One container event of a watched deployment, as the engine reported it. */
export interface ContainerEvent {
  /** The engine's name in this watch ('main' for the default engine). */
  engine: string;
  id: string;
  runId: string;
  /** create, start, die, destroy, kill, stop, ... (exec and archive events too). */
  action: string;
  timeNano: bigint;
}

export interface ContainerWatch {
  /** Every container (engine:id) that ever carried the run's label while the watch ran. */
  idsFor(runId: string): Set<string>;
  /** The run's events, in the order they happened (by the engines' clock: one host here). */
  eventsFor(runId: string): ContainerEvent[];
  /**
   * The most containers of the run that existed at one moment, across every engine: a
   * container exists from `create` to `destroy` (or is `running` from `start` to `die`).
   */
  maxAtOnce(runId: string, span?: 'exists' | 'running'): number;
  /**
   * The engine was killed with everything it ran (a lost host): its containers that were
   * running stopped no later than now, though the dead engine could not say so. Call it after
   * the kill returned.
   */
  engineLost(name: string): void;
  /** Follows an engine again after it was booted anew (its old stream ended with it). */
  reattach(name: string): Promise<void>;
  /** Stops listening after collecting what the engines logged up to now. */
  stop(): Promise<void>;
}

interface Engine {
  name: string;
  docker: Docker;
}

export interface RawEvent {
  Type?: string;
  Action?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** Streams still open: a test that failed before its stop() must not keep the process alive. */
const open = new Set<{ destroy(): void }>();

/** Closes every watch a test left open (called from the root hooks after each test). */
export function closeOpenWatches(): void {
  for (const s of open) s.destroy();
  open.clear();
}

/**
 * Follows the engines' event streams for a deployment's containers (by label), so that a
 * container living a few milliseconds is seen as surely as one living minutes: "one container
 * per run" is checked over the run's whole life, on one engine or several. Resolves once every
 * stream is open, so nothing that happens after the call is missed.
 */
export async function watchContainers(deployment: string, engines?: Engine[]): Promise<ContainerWatch> {
  const watched = engines ?? [{ name: 'main', docker: await docker() }];
  const filters = { type: ['container' as const], label: [`${LABELS.deployment}=${deployment}`] };
  // Fractional seconds: the replay at stop must not reach back before the watch began.
  const since = Math.floor(Date.now()) / 1000;
  const seen = new Map<string, ContainerEvent>();
  const add = (engine: string, raw: RawEvent): void => {
    // A run's output keeper is part of its output volume, not one of the run's containers.
    if (isKeeper(raw.Actor?.Attributes)) return;
    const id = raw.Actor?.ID ?? raw.id ?? '';
    const runId = raw.Actor?.Attributes?.[LABELS.runId] ?? '';
    const action = (raw.Action ?? '').split(':')[0]!;
    const timeNano = BigInt(raw.timeNano ?? (raw.time ?? 0) * 1e9);
    // The live stream and the closing replay overlap: one key per engine event.
    seen.set(`${engine}/${id}/${action}/${timeNano}`, { engine, id, runId, action, timeNano });
  };
  const subscribe = async ({ name, docker: d }: Engine): Promise<NodeJS.ReadableStream & { destroy(): void }> => {
    const stream = (await d.getEvents({ filters })) as NodeJS.ReadableStream & { destroy(): void };
    follow(stream, (e) => add(name, e));
    // A killed engine ends its stream: that is the host's loss, not the test's error.
    stream.on('error', () => undefined);
    open.add(stream);
    return stream;
  };
  const streams = await Promise.all(watched.map(subscribe));
  /** Engines killed and not booted again: nothing to replay from them at stop. */
  const down = new Set<string>();

  const eventsFor = (runId: string): ContainerEvent[] => [...seen.values()].filter((e) => e.runId === runId).sort((a, b) => (a.timeNano < b.timeNano ? -1 : a.timeNano > b.timeNano ? 1 : 0));

  return {
    idsFor: (runId) => new Set(eventsFor(runId).map((e) => `${e.engine}:${e.id}`)),
    eventsFor,
    maxAtOnce: (runId, span = 'exists') => maxAtOnce(eventsFor(runId), span),
    engineLost(name) {
      down.add(name);
      const at = BigInt(Date.now()) * 1_000_000n;
      const last = new Map<string, ContainerEvent>();
      for (const e of [...seen.values()].sort((a, b) => (a.timeNano < b.timeNano ? -1 : 1))) if (e.engine === name) last.set(e.id, e);
      for (const e of last.values()) if (e.action !== 'die' && e.action !== 'destroy') seen.set(`${name}/${e.id}/die/${at}`, { ...e, action: 'die', timeNano: at });
    },
    async reattach(name) {
      const engine = watched.find((e) => e.name === name);
      if (!engine) throw new Error(`engine ${name} is not watched`);
      streams.push(await subscribe(engine));
      down.delete(name);
    },
    async stop() {
      // An event of the last moments may still be on its way: replay the engines' log up to
      // now (bounded by `until`, so it ends) and keep the union with what streamed.
      const until = Math.floor(Date.now() + 500) / 1000;
      await Promise.all(
        watched
          .filter(({ name }) => !down.has(name))
          .map(async ({ name, docker: d }) => {
            const replay = (await d.getEvents({ filters, since, until })) as NodeJS.ReadableStream;
            await new Promise<void>((resolve, reject) => {
              follow(replay, (e) => add(name, e));
              replay.on('end', resolve);
              replay.on('error', reject);
            });
          }),
      );
      for (const s of streams) {
        s.destroy();
        open.delete(s);
      }
    },
  };
}

/** The largest number of containers alive at one moment, from their ordered events. */
export function maxAtOnce(events: ContainerEvent[], span: 'exists' | 'running' = 'exists'): number {
  const [begin, end] = span === 'exists' ? ['create', 'destroy'] : ['start', 'die'];
  // A container first seen by a later event (a destroy, a die) was there before the watch began.
  const before = span === 'exists' ? (a: string) => a !== 'create' : (a: string) => a === 'die' || a === 'kill' || a === 'stop';
  const alive = new Set<string>();
  const first = new Map<string, string>();
  for (const e of events) if (!first.has(`${e.engine}:${e.id}`)) first.set(`${e.engine}:${e.id}`, e.action);
  for (const [key, action] of first) if (before(action)) alive.add(key);
  let max = alive.size;
  for (const e of events) {
    const key = `${e.engine}:${e.id}`;
    if (e.action === begin) alive.add(key);
    else if (e.action === end) alive.delete(key);
    max = Math.max(max, alive.size);
  }
  return max;
}

/** Parses the engine's stream of JSON events (one object per line, possibly split). */
export function follow(stream: NodeJS.ReadableStream, onEvent: (e: RawEvent) => void): void {
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) onEvent(JSON.parse(line) as RawEvent);
    }
  });
}
