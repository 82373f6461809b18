import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { OUTPUT_MAX_ENTRIES } from './output-volume';

/** What the walk reads of a tar header. */
export interface EntryHeader {
  name: string;
  type?: string | null;
  size?: number | null;
  mode?: number | null;
  uid?: number | null;
  gid?: number | null;
  linkname?: string | null;
}

/** An entry's content stream. */
export interface EntryBody {
  on(event: 'data', listener: (chunk: unknown) => void): unknown;
  on(event: 'end' | 'error', listener: () => void): unknown;
  resume(): unknown;
}

export interface WalkEntry {
  header: EntryHeader;
  /** The entry's path below the output folder. */
  rel: string;
  body: EntryBody;
  /** Go on to the next entry (after the body has been read or drained). */
  next(): void;
  /** Stop reading: the output cannot be used, for this reason. */
  stop(problem: string): void;
}

/** The archive stream broke or ended early: the engine's fault (or the connection's), never the model's. */
export class ArchiveBroken extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveBroken';
  }
}

/** A whole tar archive ends with two zero blocks; the engine's (Go's archive/tar) always does. */
const END_OF_ARCHIVE = 1024;

/**
 * Walks the output folder's tar stream (from the Engine API's archive endpoint) entry by entry,
 * within a count cap and a time limit. The first entry, the folder itself, goes to `onRoot`.
 * @returns why the walk stopped early because of what the folder holds, or undefined when it
 *   read the whole archive.
 * @throws ArchiveBroken when the stream failed or ended before the archive did: an engine going
 *   down can end a response early at an entry's edge, which read as a folder without the score
 *   and was blamed on the model.
 */
export async function walkOutputArchive(
  stream: Readable,
  caps: { maxEntries?: number; timeoutMs?: number },
  onEntry: (entry: WalkEntry) => void,
  onRoot?: (header: EntryHeader) => void,
): Promise<string | undefined> {
  const maxEntries = caps.maxEntries ?? OUTPUT_MAX_ENTRIES;
  const timeoutMs = caps.timeoutMs ?? 30_000;
  const extract = tar.extract();
  let root: string | undefined;
  let entries = 0;
  let problem: string | undefined;
  let broken: string | undefined;
  // The last bytes the stream gave, to check the archive's end.
  let tail: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    tail = chunk.length >= END_OF_ARCHIVE ? chunk.subarray(-END_OF_ARCHIVE) : Buffer.concat([tail, chunk]).subarray(-END_OF_ARCHIVE);
  });
  const stop = (why: string): void => {
    problem ??= why;
    stream.destroy();
    extract.destroy();
  };
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(() => stop(`reading the output folder took longer than ${timeoutMs / 1000} s`), timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      resolve();
    };
    extract.on('finish', finish);
    extract.on('close', finish);
    for (const source of [extract, stream]) {
      source.on('error', (err: Error) => {
        if (problem === undefined) broken ??= err.message;
        finish();
      });
    }
  });
  extract.on('entry', (header, body, next) => {
    // A truncated archive errors the entry's stream too; the extract's own handler reports it.
    body.on('error', () => undefined);
    if (root === undefined) {
      root = header.name.replace(/\/?$/, '/');
      onRoot?.(header);
      body.on('end', next);
      body.resume();
      return;
    }
    const rel = header.name.startsWith(root) ? header.name.slice(root.length).replace(/\/$/, '') : header.name;
    if (++entries > maxEntries) return stop(tooManyEntries(maxEntries));
    onEntry({ header, rel, body, next, stop });
  });
  stream.pipe(extract);
  await done;
  if (problem !== undefined) return problem;
  if (broken !== undefined) throw new ArchiveBroken(`the output folder's archive broke off (${broken})`);
  if (tail.length < END_OF_ARCHIVE || tail.some((b) => b !== 0)) throw new ArchiveBroken("the output folder's archive ended before its end-of-archive blocks");
  return undefined;
}

/** Why a walk stopped at the entry cap. */
export function tooManyEntries(maxEntries: number): string {
  return `the output folder holds more than ${maxEntries} entries`;
}

/** Reads an entry's body to its end without keeping it. */
export function drain(entry: Pick<WalkEntry, 'body' | 'next'>): void {
  entry.body.on('end', entry.next);
  entry.body.resume();
}
