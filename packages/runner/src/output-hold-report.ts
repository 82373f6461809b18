import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import { keeperName, outputOwnerOf, outputVolumeName } from './output-volume';

/** At most this many of the engine's events are kept in a report: enough for a container's life. */
const EVENTS_MAX = 60;
/** How long the engine may take to replay its events before the report goes without them. */
const EVENTS_WAIT_MS = 3_000;

/** The keeper of a container's output when the output was found dropped, as the engine sees it. */
export type KeeperState = { name: string; found: false } | { name: string; found: true; status: string; exitCode: number; oomKilled: boolean; startedAt: string; finishedAt: string; error?: string };

/** One engine event about a container, its keeper or its output volume. */
export interface HoldEvent {
  time: string;
  type: string;
  action: string;
  actor: string;
  exitCode?: string;
}

/**
 * What an operator needs to catch a dropped output in the act (faults.ts droppedOutput): the
 * keeper's state now, and what the engine did to the container, its keeper and its volume since
 * the container was created (its events, replayed from the engine's own buffer).
 */
export interface OutputHoldReport {
  container: string;
  keeper: KeeperState;
  volume: string;
  events: HoldEvent[];
  /** Why the events are missing, when the engine did not give them. */
  eventsError?: string;
}

/** The report for the container `idOrName`; never throws (a diagnostic must not cost the run its retry). */
export async function outputHoldReport(docker: Docker, idOrName: string): Promise<OutputHoldReport> {
  let info: Docker.ContainerInspectInfo | undefined;
  try {
    info = await docker.getContainer(idOrName).inspect();
  } catch {
    info = undefined;
  }
  const container = info ? info.Name.replace(/^\//, '') : idOrName;
  const owner = outputOwnerOf(container);
  const keeper = await keeperState(docker, keeperName(owner));
  const volume = outputVolumeName(owner);
  const since = info ? Math.floor(Date.parse(info.Created) / 1000) - 1 : Math.floor(Date.now() / 1000) - 3600;
  const until = Math.ceil(Date.now() / 1000) + 1;
  try {
    // Two asks: the engine ANDs filters of different kinds, and the volume's events name no container.
    const [containers, volumes] = await Promise.all([
      replay(docker, { since, until, filters: JSON.stringify({ container: [container, keeper.name] }) }),
      replay(docker, { since, until, filters: JSON.stringify({ volume: [volume] }) }),
    ]);
    // The volume's events can answer both asks (the engine matches them on their container too): once each.
    const unique = new Map([...containers, ...volumes].map((e) => [`${e.nanos} ${e.type} ${e.action} ${e.actor}`, e]));
    const events = [...unique.values()].sort((a, b) => a.nanos - b.nanos).map(({ nanos: _n, ...e }) => e);
    return { container, keeper, volume, events: events.slice(-EVENTS_MAX) };
  } catch (err) {
    return { container, keeper, volume, events: [], eventsError: (err as Error).message };
  }
}

async function keeperState(docker: Docker, name: string): Promise<KeeperState> {
  try {
    const { State } = await docker.getContainer(name).inspect();
    return {
      name,
      found: true,
      status: State.Status,
      exitCode: State.ExitCode,
      oomKilled: State.OOMKilled,
      startedAt: State.StartedAt,
      finishedAt: State.FinishedAt,
      ...(State.Error && { error: State.Error }),
    };
  } catch {
    // Missing, or the engine would not say: either way nothing is known to hold the output.
    return { name, found: false };
  }
}

/** The engine's past events in a window that has ended: the stream closes by itself at `until`. */
async function replay(docker: Docker, opts: { since: number; until: number; filters: string }): Promise<(HoldEvent & { nanos: number })[]> {
  const stream = (await docker.getEvents(opts as unknown as Parameters<Docker['getEvents']>[0])) as unknown as IncomingMessage;
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      resolve();
    }, EVENTS_WAIT_MS);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  const events: (HoldEvent & { nanos: number })[] = [];
  for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const ev = JSON.parse(line) as { Type?: string; Action?: string; timeNano?: number; Actor?: { ID?: string; Attributes?: Record<string, string> } };
      const attrs = ev.Actor?.Attributes ?? {};
      events.push({
        nanos: ev.timeNano ?? 0,
        time: new Date(Math.floor((ev.timeNano ?? 0) / 1e6)).toISOString(),
        type: ev.Type ?? '',
        action: ev.Action ?? '',
        actor: attrs.name ?? ev.Actor?.ID?.slice(0, 64) ?? '',
        ...(attrs.exitCode !== undefined && { exitCode: attrs.exitCode }),
      });
    } catch {
      // A line cut off by the timeout: the rest of the report stands.
    }
  }
  return events;
}
