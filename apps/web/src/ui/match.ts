/** Matches `/runs/:id` against a path; returns the decoded parameters or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_m, n: string) => (names.push(n), '([^/]+)'))}/?$`);
  const m = re.exec(path);
  if (!m) return undefined;
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
}

/** Where to go after signing in: `?next=` when it is a path of this site, else the app. */
export function afterSignIn(search: string): string | undefined {
  const next = new URLSearchParams(search).get('next');
  return next && /^\/(?!\/)[^\\]*$/.test(next) ? next : undefined;
}
