import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { quoteUntrusted, untrustedName } from '@modelrun/contracts';
import { type OutputCaps, OutputSpace, TYPE_WORDS } from './archive';
import { drain, walkOutputArchive } from './tar-walk';

export type Predictions = { tar: Buffer; files: number; totalBytes: number; problem?: undefined } | { problem: string };

/**
 * Turns the model's output folder (the archive endpoint's tar stream) into the tar the
 * evaluator's predictions volume is filled from. Within the same caps as a score: count, bytes,
 * time. Only regular files and folders pass, re-written with fresh headers (owned by root,
 * readable by all, no special bits), so nothing the model wrote can make the trusted evaluator
 * follow a link into its reference data or anywhere else. Anything else fails the run and says
 * what it was. Nothing touches the worker's disk: the tar is built in memory.
 */
export async function readPredictions(stream: Readable, caps: OutputCaps): Promise<Predictions> {
  const pack = tar.pack();
  const packed: Buffer[] = [];
  pack.on('data', (c: unknown) => packed.push(c as Buffer));
  const packEnded = new Promise<void>((resolve) => pack.on('end', resolve));
  let files = 0;
  let totalBytes = 0;
  const space = new OutputSpace(caps);
  const problem = await walkOutputArchive(stream, caps, (entry) => {
    const { header, rel, body, next, stop } = entry;
    if (rel === '' || rel.split('/').some((part) => part === '..' || part === '.')) return stop(`the output folder holds an entry with an unusable name: ${quoteUntrusted(header.name)}`);
    if (header.type === 'directory') {
      pack.entry({ name: rel, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) });
      return drain(entry);
    }
    if (header.type !== 'file') {
      const what = TYPE_WORDS[header.type ?? ''] ?? `a ${header.type ?? 'special'} entry`;
      return stop(`predictions may only be regular files and folders; ${untrustedName(rel)} is ${what}`);
    }
    totalBytes += header.size ?? 0;
    space.add(header.size ?? 0);
    const over = space.over(totalBytes);
    if (over) return stop(over);
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      files++;
      pack.entry({ name: rel, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) }, Buffer.concat(chunks));
      next();
    });
    return undefined;
  });
  pack.finalize();
  await packEnded;
  if (problem) return { problem };
  return { tar: Buffer.concat(packed), files, totalBytes };
}
