// Builds the web app into dist/: the HTML shells, one script and one stylesheet (app), and the
// API reference page's files (Swagger UI, copied from node_modules: nothing comes from a CDN).
// The API serves dist/ as it is. `npm run build` at the root runs this.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, context } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const assets = join(out, 'assets');
const swaggerUi = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

rmSync(out, { recursive: true, force: true });
mkdirSync(join(assets, 'docs'), { recursive: true });
const options = {
  entryPoints: { app: join(here, 'src/main.tsx'), 'docs/init': join(here, 'src/docs.ts') },
  outdir: assets,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // Workspace packages' `development` condition points at their src/: no tsc output needed.
  conditions: ['development'],
  logLevel: 'warning',
};
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'src/docs.html'), join(out, 'docs.html'));
copyFileSync(join(here, 'src/docs.css'), join(assets, 'docs', 'docs.css'));
for (const f of ['swagger-ui-bundle.js', 'swagger-ui.css']) copyFileSync(join(swaggerUi, f), join(assets, 'docs', f));
if (process.argv.includes('--watch')) {
  // npm run dev: rebuild on every change to the sources (the API serves the new files at once).
  await (await context(options)).watch();
  console.log(`web app: watching, building into ${out}`);
} else {
  await build(options);
  console.log(`web app built into ${out}`);
}
