import type Docker from 'dockerode';
import { type RawEvent, follow } from './container-watch';

export interface PullWatch {
  /** How many pulls of `image` the engine finished while the watch ran. */
  count(image: string): number;
  stop(): void;
}

/**
 * Follows the engine's image `pull` events live from now on. Live, not replayed afterwards: the
 * engine keeps only its last 256 events for `since`, which a busy shared engine overwrites in
 * seconds. Resolves once the stream is open.
 */
export async function watchPulls(d: Docker): Promise<PullWatch> {
  const stream = (await d.getEvents({ filters: { type: ['image'], event: ['pull'] } })) as NodeJS.ReadableStream & { destroy(): void };
  const pulls: string[] = [];
  follow(stream, (e: RawEvent) => pulls.push(e.Actor?.ID ?? e.id ?? ''));
  stream.on('error', () => undefined);
  return {
    count: (image) => pulls.filter((p) => p === image).length,
    stop: () => stream.destroy(),
  };
}
