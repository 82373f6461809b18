import { createReadStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DetailsFile } from '@modelrun/contracts';
import { writeFileReplace } from './atomic';
import { VolumeLayout } from './layout';

/**
 * A benchmark run's results beside its record: its kept predictions and its evaluator's
 * detailed results. Workers write them (atomically, replacing: a redelivery writes the same
 * again), before the record that names them; the API reads them.
 */
export class ResultsStore {
  readonly layout: VolumeLayout;

  constructor(dataDir: string) {
    this.layout = new VolumeLayout(dataDir);
  }

  async writePredictions(name: string, id: string, tar: Buffer): Promise<void> {
    await writeFileReplace(this.layout.tmpDir, this.layout.predictionsPath(name, id), tar);
  }

  /** The kept predictions' size, or undefined when the run has none. */
  async predictionsBytes(name: string, id: string): Promise<number | undefined> {
    return sizeOf(this.layout.predictionsPath(name, id));
  }

  /** The kept predictions as a stream with their size, or undefined when the run has none. */
  async openPredictions(name: string, id: string): Promise<{ stream: Readable; length: number } | undefined> {
    const path = this.layout.predictionsPath(name, id);
    const length = await sizeOf(path);
    if (length === undefined) return undefined;
    return { stream: createReadStream(path), length };
  }

  /** The kept predictions whole (a re-score hands them to the evaluator), or undefined when the run has none. */
  async readPredictions(name: string, id: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.layout.predictionsPath(name, id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async writeDetails(name: string, id: string, details: DetailsFile): Promise<void> {
    await writeFileReplace(this.layout.tmpDir, this.layout.detailsPath(name, id), JSON.stringify(details));
  }

  /**
   * Removes the run's detailed results; none is not an error. A re-score whose evaluator wrote
   * none (or a broken file) removes the older evaluator's: stale details must not stand beside
   * the new score.
   */
  async removeDetails(name: string, id: string): Promise<void> {
    await rm(this.layout.detailsPath(name, id), { force: true });
  }

  /** The run's detailed results, or undefined when it has none. */
  async readDetails(name: string, id: string): Promise<DetailsFile | undefined> {
    let text: string;
    try {
      text = await readFile(this.layout.detailsPath(name, id), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    // Written by a worker after validation; parsed again so the API serves only the documented shape.
    return DetailsFile.parse(JSON.parse(text));
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
