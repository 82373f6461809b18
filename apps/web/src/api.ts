import type { ErrorBody, ErrorDetail, SessionView } from '@modelrun/contracts';

/** An API error, with the message the API wrote for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Each problem with its field, when the API listed them (a refused submission). */
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
const signedOutListeners = new Set<() => void>();

/** Called when the API says the session is gone (expired, signed out elsewhere). */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

function headers(method: string, body: unknown): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  // The session cookie rides along by itself; writes must also prove they come from this page.
  if (method !== 'GET' && csrfToken) h['X-CSRF-Token'] = csrfToken;
  return h;
}

/** Calls the API with the session cookie; `no-cache` revalidates (ETag) instead of refetching. */
export async function request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const res = await fetch(path, {
    method,
    headers: headers(method, body),
    cache: 'no-cache',
    ...(body !== undefined && { body: JSON.stringify(body) }),
    ...(signal && { signal }),
  });
  if (res.ok) return res;
  const parsed = (await res.json().catch(() => undefined)) as ErrorBody | undefined;
  if (res.status === 401 && !path.startsWith('/v1/session')) signedOutListeners.forEach((l) => l());
  throw new ApiError(res.status, parsed?.error.code ?? 'unknown', parsed?.error.message ?? `the API answered ${res.status}`, parsed?.error.details);
}

export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await request(method, path, body, signal);
  return (await res.json()) as T;
}

export async function loadSession(): Promise<SessionView> {
  const session = await api<SessionView>('GET', '/v1/session');
  csrfToken = session.csrfToken;
  return session;
}

export async function signIn(token: string): Promise<SessionView> {
  const session = await api<SessionView>('POST', '/v1/session', { token });
  csrfToken = session.csrfToken;
  return session;
}

export async function signOut(): Promise<SessionView> {
  const session = await api<SessionView>('DELETE', '/v1/session');
  csrfToken = undefined;
  return session;
}
