import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The least any start-up index can do: list every model folder, read every record file and
 * JSON.parse it, with plain blocking calls (the fastest way to read many small files here), no
 * validation and no index. modelrun's start-up indexing is compared with this.
 */
export function scanFloor(dataDir: string): { files: number; ms: number } {
  const t0 = performance.now();
  const runsDir = join(dataDir, 'runs');
  let parsed = 0;
  for (const model of readdirSync(runsDir)) {
    for (const file of readdirSync(join(runsDir, model))) {
      if ((JSON.parse(readFileSync(join(runsDir, model, file), 'utf8')) as { id?: string }).id) parsed++;
    }
  }
  return { files: parsed, ms: performance.now() - t0 };
}
