// Builds the web app into dist/: the HTML shells, one script and one stylesheet (app), and the
// API reference page's files (Swagger UI, copied from node_modules: nothing comes from a CDN).
// The API serves dist/ as it is. `npm run build` at the root runs this.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const assets = join(out, 'assets');
const swaggerUi = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

rmSync(out, { recursive: true, force: true });
mkdirSync(join(assets, 'docs'), { recursive: true });
await build({
  entryPoints: { app: join(here, 'src/main.tsx'), 'docs/init': join(here, 'src/docs.ts') },
  outdir: assets,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  conditions: ['development'],
  logLevel: 'warning',
});
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'src/docs.html'), join(out, 'docs.html'));
for (const f of ['swagger-ui-bundle.js', 'swagger-ui.css']) copyFileSync(join(swaggerUi, f), join(assets, 'docs', f));
console.log(`web app built into ${out}`);
