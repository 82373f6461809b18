import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type BenchmarkDefinition, BenchmarksFile } from '@modelrun/contracts';

/** The operator's benchmarks by name; empty when BENCHMARKS_FILE is not set. */
export type Benchmarks = ReadonlyMap<string, BenchmarkDefinition>;

/**
 * Reads and checks BENCHMARKS_FILE (YAML, or JSON, which YAML also reads; `.json` files are
 * parsed as strict JSON). @returns problems, each naming the file and the field, or the benchmarks.
 */
export function readBenchmarksFile(path: string): { benchmarks: Benchmarks } | { problems: string[] } {
  const where = `BENCHMARKS_FILE (${path})`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { problems: [`${where}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`] };
  }
  let raw: unknown;
  try {
    raw = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    return { problems: [`${where}: is not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`] };
  }
  const parsed = BenchmarksFile.safeParse(raw);
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((i) => `${where}: ${fieldPath(i.path, raw) || 'the document'}: ${i.message}`) };
  }
  return { benchmarks: new Map(parsed.data.benchmarks.map((b) => [b.name, b])) };
}

/** `benchmarks[0].metrics[1].direction`, with the benchmark's name when it has one: `benchmarks[0] (digits).…`. */
function fieldPath(path: PropertyKey[], raw: unknown): string {
  let out = '';
  let node: unknown = raw;
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
    node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    if (out.startsWith('benchmarks[') && /^benchmarks\[\d+\]$/.test(out)) {
      const name = (node as { name?: unknown } | undefined)?.name;
      if (typeof name === 'string') out += ` (${name})`;
    }
  }
  return out;
}
