import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { Router } from 'express';
import { HttpError } from '../errors';

/** The web app's pages: each is the same HTML shell; the script draws the page from the URL. */
export const WEB_PAGES = ['/', '/signin', '/submit', '/models/:name', '/runs/:id', '/benchmarks', '/benchmarks/:name', '/tokens', '/admin/users', '/admin/audit', '/admin/fleet'] as const;

/** Where `npm run build` puts the web app (apps/web/dist), or undefined if it is not installed. */
export function webRoot(): string | undefined {
  try {
    return join(dirname(require.resolve('@modelrun/web/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * The web app (apps/web, built into static files) and the API reference at /docs. Pages and
 * assets are public, as any login page is; every piece of data they show comes from /v1 with
 * the session cookie. Revalidated on every load (ETag), so a deploy shows at once.
 */
export function webRouter(root: string | undefined): Router {
  const router = Router();
  const built = root !== undefined && existsSync(join(root, 'index.html'));
  if (!built) {
    router.get([...WEB_PAGES, '/docs'], (_req, _res, next) => next(new HttpError('not_found', 'the web app is not built: run npm run build')));
    return router;
  }
  const page = (file: string) => (_req: express.Request, res: express.Response) => {
    res.set('Cache-Control', 'no-cache').sendFile(join(root, file));
  };
  router.get([...WEB_PAGES], page('index.html'));
  router.get('/docs', page('docs.html'));
  router.use('/assets', express.static(join(root, 'assets'), { index: false, cacheControl: false, setHeaders: (res) => res.set('Cache-Control', 'no-cache') }));
  return router;
}
