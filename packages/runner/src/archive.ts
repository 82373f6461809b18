import type { Readable } from 'node:stream';
import { SCORE_FILE_MAX_BYTES, quoteUntrusted } from '@modelrun/contracts';
import { OUTPUT_MAX_ENTRIES, OUTPUT_PAGE_BYTES, capPages } from './output-volume';
import { drain, tooManyEntries, walkOutputArchive } from './tar-walk';

export type ScoreFileName = 'score.json' | 'score';

/** Caps on what the worker will read out of a container (all defaults are per run). */
export interface OutputCaps {
  /** Bytes of all files in the output folder together (RUN_OUTPUT_MAX_MB). */
  totalBytes: number;
  /** Entries of any kind in the output folder (default 10,000). */
  maxEntries?: number;
  /** How long reading the archive may take before it is abandoned (default 30 s). */
  timeoutMs?: number;
  /** A short text file read as well (an evaluator's message.txt): a regular file within maxBytes, else left unread. */
  note?: { name: string; maxBytes: number };
  /** A larger file read as well (an evaluator's details.json): a regular file within maxBytes is read, else only its size is told. */
  details?: { name: string; maxBytes: number };
}

export interface OutputDirInfo {
  uid: number;
  gid: number;
  mode: number;
}

export interface OutputContents {
  /** Entries below the output folder (the folder itself not counted). */
  entries: number;
  /** A few entry names, for messages. */
  sample: string[];
  totalBytes: number;
  dir?: OutputDirInfo;
  /** The score file, if one was found and could be read: a regular file within its cap. */
  score?: { file: ScoreFileName; bytes: Buffer };
  /** Why the output cannot be used, for the model's author. Set means the run has bad output. */
  problem?: string;
  /** The note file (OutputCaps.note), when there was one to read. */
  note?: Buffer;
  /** The details file (OutputCaps.details), when there was one: its bytes when it was a regular file within its cap. */
  details?: { size: number; regular: boolean; bytes?: Buffer };
  /**
   * The output passed a cap (bytes, the space its files take, or entries): the model's writes
   * past it failed, which explains a failure that followed, so it is told before an exit code.
   */
  overCap?: boolean;
  /**
   * The output read empty while its keeper was not running: the engine had unmounted the tmpfs and
   * what the model wrote was gone. Or while the engine was shutting down (`engineClosing`), when
   * nothing it answers about the run can be trusted. Never the model's doing (the worker runs it again).
   */
  dropped?: boolean;
  /** The output was read empty while the engine refused new connections: it was shutting down. */
  engineClosing?: boolean;
}

const SCORE_FILES: readonly ScoreFileName[] = ['score.json', 'score'];

export const TYPE_WORDS: Record<string, string> = {
  symlink: 'a symbolic link',
  link: 'a hard link',
  fifo: 'a FIFO',
  'character-device': 'a character device',
  'block-device': 'a block device',
  directory: 'a directory',
};

/**
 * Reads the tar stream of the output folder (from the Engine API's archive endpoint) with
 * caps on count, size and time. Only regular files are read, and only the score file's bytes
 * are kept: the tar is data, nothing in it is ever followed, extracted or written to disk.
 */
export async function readOutputArchive(stream: Readable, caps: OutputCaps): Promise<OutputContents> {
  const out: OutputContents = { entries: 0, sample: [], totalBytes: 0 };
  const space = new OutputSpace(caps);
  const found = new Map<ScoreFileName, Buffer>();
  const problem = await walkOutputArchive(
    stream,
    caps,
    (entry) => {
      const { header, rel, body, next, stop } = entry;
      out.entries++;
      if (out.sample.length < 5) out.sample.push(rel);
      const size = header.size ?? 0;
      out.totalBytes += header.type === 'file' ? size : 0;
      space.add(header.type === 'file' ? size : 0);
      const over = space.over(out.totalBytes);
      if (over) {
        out.overCap = true;
        return stop(over);
      }
      if (caps.details && rel === caps.details.name) {
        const regular = header.type === 'file';
        out.details = { size, regular };
        if (!regular || size > caps.details.maxBytes) return drain(entry);
        const chunks: Buffer[] = [];
        body.on('data', (c: unknown) => chunks.push(c as Buffer));
        body.on('end', () => {
          out.details = { size, regular, bytes: Buffer.concat(chunks) };
          next();
        });
        return undefined;
      }
      if (caps.note && rel === caps.note.name && header.type === 'file' && size <= caps.note.maxBytes) {
        const chunks: Buffer[] = [];
        body.on('data', (c: unknown) => chunks.push(c as Buffer));
        body.on('end', () => {
          out.note = Buffer.concat(chunks);
          next();
        });
        return undefined;
      }
      const scoreName = SCORE_FILES.find((f) => f === rel);
      if (!scoreName) return drain(entry);
      if (header.type !== 'file') {
        const what = TYPE_WORDS[header.type ?? ''] ?? `a ${header.type ?? 'special'} entry`;
        // The target is the model's text, shown in run.error: quoted, its control characters escaped.
        const target = header.linkname ? ` (to ${quoteUntrusted(header.linkname)})` : '';
        return stop(`${scoreName} is ${what}${target}; only a regular file is read`);
      }
      if (size > SCORE_FILE_MAX_BYTES) {
        return stop(`${scoreName} is ${formatBytes(size)}; the limit is ${formatBytes(SCORE_FILE_MAX_BYTES)}`);
      }
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => chunks.push(c as Buffer));
      body.on('end', () => {
        found.set(scoreName, Buffer.concat(chunks));
        next();
      });
      return undefined;
    },
    (header) => {
      out.dir = { uid: header.uid ?? -1, gid: header.gid ?? -1, mode: header.mode ?? 0 };
    },
  );
  if (problem === tooManyEntries(caps.maxEntries ?? OUTPUT_MAX_ENTRIES)) out.overCap = true;
  if (problem) out.problem = problem;
  else {
    // score.json, the richer format, wins when an image writes both.
    const file = SCORE_FILES.find((f) => found.has(f));
    if (file) out.score = { file, bytes: found.get(file)! };
  }
  return out;
}

/**
 * The space an output's files take against its cap, as its volume counts it (output-volume.ts):
 * bytes, and whole pages per file. The volume holds one page more than the cap, so a model that
 * tried to write past it is always seen past it here.
 */
export class OutputSpace {
  private pages = 0;

  constructor(private readonly caps: Pick<OutputCaps, 'totalBytes'>) {}

  add(fileBytes: number): void {
    this.pages += Math.ceil(fileBytes / OUTPUT_PAGE_BYTES) * OUTPUT_PAGE_BYTES;
  }

  /** Why the output is past its cap, or undefined. */
  over(totalBytes: number): string | undefined {
    const limit = `its limit of ${formatBytes(this.caps.totalBytes)} (RUN_OUTPUT_MAX_MB); writing past it fails with "no space left on device"`;
    if (totalBytes > this.caps.totalBytes) return `the output folder holds more than ${limit}`;
    if (this.pages > capPages(this.caps)) return `the output folder's files take more than ${limit}, each file counted in whole ${OUTPUT_PAGE_BYTES / 1024} KiB pages`;
    return undefined;
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
