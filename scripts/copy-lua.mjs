// Copies each workspace's Redis scripts (src/**/*.lua) beside its compiled code in dist/, which
// tsc does not do: `npm run build` runs it after tsc -b, so dist (and the images built from it)
// loads them as src does in development.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
for (const group of ['packages', 'apps']) {
  for (const ws of readdirSync(join(root, group))) {
    const src = join(root, group, ws, 'src');
    if (!existsSync(src)) continue;
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.lua')) continue;
      const to = join(root, group, ws, 'dist', file);
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(join(src, file), to);
      console.log(`copied ${relative(root, to)}`);
    }
  }
}
