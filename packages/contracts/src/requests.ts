import { z } from 'zod';

/** `GET /v1/runs/{id}?wait=N`: answer when the run ends, or after N seconds (at most 60). */
export const RunGetQuery = z.strictObject({
  wait: z.coerce.number().min(0).max(60).optional(),
});

/** `GET /v1/runs/{id}/logs?follow=true`: stream a running run's output until it ends. */
export const RunLogsQuery = z.object({
  follow: z.enum(['true', 'false', '1', '0']).optional(),
});

/** `POST /v1/session`: trade an API token for a browser session. */
export const SessionRequest = z.strictObject({
  token: z.string().min(1, 'is required').max(1024),
});
export type SessionRequest = z.infer<typeof SessionRequest>;

/** `GET /v1/session`: whether this browser is signed in, and what its writes must carry. */
export const SessionView = z.strictObject({
  /** False when the API has no tokens (loopback only): everything is open. */
  authRequired: z.boolean(),
  signedIn: z.boolean(),
  /** Send as `X-CSRF-Token` on every POST or DELETE made with the session cookie. */
  csrfToken: z.string().optional(),
  expiresAt: z.iso.datetime().optional(),
  /** Who is signed in, so pages can leave out what the role may not do (the API still decides). */
  user: z.string().optional(),
  role: z.enum(['admin', 'operator', 'member', 'viewer']).optional(),
  team: z.string().optional(),
});
export type SessionView = z.infer<typeof SessionView>;

/** `Idempotency-Key` on `POST /v1/models`: 1-255 printable ASCII characters. */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 printable ASCII characters');

/** `GET /v1/session/providers`: the ways to sign in besides a token (single sign-on, when configured). */
export const SessionProviders = z.strictObject({
  providers: z.array(
    z.strictObject({
      /** `oidc`: an OpenID Connect provider (OIDC_ISSUER). */
      id: z.literal('oidc'),
      /** What the sign-in page's button names (OIDC_PROVIDER_NAME). */
      name: z.string(),
      /** Where the browser goes to sign in (add `?next=/path` to come back there). */
      signInUrl: z.string(),
    }),
  ),
});
export type SessionProviders = z.infer<typeof SessionProviders>;
