import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';

/** Debian's chromium (apt-get install chromium): playwright-core drives it, nothing is downloaded. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Builds the web app (apps/web/dist) the API serves, as `npm run build` does. */
export function buildWebApp(): void {
  const r = spawnSync(process.execPath, ['apps/web/build.mjs'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the web app failed:\n${r.stdout}${r.stderr}`);
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  // --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Collects every console error and uncaught exception of a page, with where it happened. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`${page.url()}: uncaught ${err.message}`));
  return errors;
}

/**
 * Where screenshots go: the docs' (docs/screenshots) with UPDATE_SCREENSHOTS=1 (`npm run
 * screenshots`), else a temp folder, so a test run leaves the committed images alone.
 */
export function screenshotDir(): string {
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync('docs/screenshots', { recursive: true });
    return 'docs/screenshots';
  }
  return mkdtempSync(join(tmpdir(), 'modelrun-screenshots-'));
}
