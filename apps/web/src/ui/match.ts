/** Matches `/runs/:id` against a path; returns the decoded parameters or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_m, n: string) => (names.push(n), '([^/]+)'))}/?$`);
  const m = re.exec(path);
  if (!m) return undefined;
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
}

/**
 * Where to go after signing in: `?next=` when it is a path of this site, else the app.
 * The browser decides where `location.assign(next)` goes, so the check asks the browser's own
 * parser (WHATWG URL) rather than a pattern: it drops tab, CR and LF and reads `\` as `/`,
 * which turns `/<tab>/evil.example` into `//evil.example`, another site.
 * @returns the path, query and fragment as parsed, so what is followed is what was checked.
 */
export function afterSignIn(search: string, origin: string): string | undefined {
  const next = new URLSearchParams(search).get('next');
  if (!next?.startsWith('/')) return undefined;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return undefined;
  }
  return url.origin === origin ? `${url.pathname}${url.search}${url.hash}` : undefined;
}

/**
 * A run id's form (RUN_ID_PATTERN in @modelrun/contracts, which the web bundle does not load;
 * a unit test keeps the two equal). A run page builds API paths from the id in its address,
 * decoded, so `/runs/..%2F..%2Fsession` must never reach them.
 */
export const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
