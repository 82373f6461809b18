import type { OidcConfig } from '@modelrun/config';
import type * as Oidc from 'openid-client' with { 'resolution-mode': 'import' };
import { HttpError } from '../errors';
import type { Flow } from './sso-store';

/** openid-client is an ES module; the API is CommonJS, so it is loaded with import(), once. */
let loaded: Promise<typeof Oidc> | undefined;
const openidClient = (): Promise<typeof Oidc> => (loaded ??= import('openid-client'));

/** What a provider's answer proved about the user: the ID token's claims, with the userinfo endpoint's where the token lacked some. */
export interface SignedInClaims {
  issuer: string;
  subject: string;
  claims: Record<string, unknown>;
}

/** Seconds the API waits for the provider on each call (discovery, token, userinfo). */
const PROVIDER_TIMEOUT_SECONDS = 10;

/**
 * The API's side of OpenID Connect's authorization code flow with PKCE, through openid-client:
 * the provider's metadata and keys come from its discovery document, fetched at the first
 * sign-in (so the API starts while the provider is down) and again after a failed try.
 */
export class OidcClient {
  private discovered: Promise<Oidc.Configuration> | undefined;

  constructor(private readonly config: OidcConfig) {}

  get providerName(): string {
    return this.config.providerName;
  }

  private configuration(): Promise<Oidc.Configuration> {
    if (!this.discovered) {
      const attempt = (async () => {
        const client = await openidClient();
        const issuer = new URL(this.config.issuer);
        // The OpenID default method; without a secret, a public client proves itself by PKCE alone.
        const auth = this.config.clientSecret ? client.ClientSecretBasic(this.config.clientSecret) : client.None();
        // Plain http is accepted by the configuration only for a loopback issuer.
        const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
        return client.discovery(issuer, this.config.clientId, undefined, auth, { timeout: PROVIDER_TIMEOUT_SECONDS, execute });
      })();
      this.discovered = attempt;
      attempt.catch(() => {
        if (this.discovered === attempt) this.discovered = undefined;
      });
    }
    return this.discovered.catch((err: unknown) => {
      throw providerError(err, 'reading its discovery document');
    });
  }

  /** A new flow's secrets and the provider URL to send the browser to. */
  async begin(next: string): Promise<{ flow: Flow; url: URL }> {
    const config = await this.configuration();
    const client = await openidClient();
    const codeVerifier = client.randomPKCECodeVerifier();
    const flow: Flow = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier, next };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.config.redirectUrl,
      scope: this.config.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { flow, url };
  }

  /**
   * Checks the provider's answer against the flow, trades the code for tokens (with the PKCE
   * verifier), validates the ID token (signature, issuer, audience, expiry, nonce) and returns
   * its claims. Throws an HttpError that says what went wrong, for the person at the browser.
   */
  async finish(query: URLSearchParams, flow: Flow): Promise<SignedInClaims> {
    // Checked here first, for a plain answer; openid-client checks it again.
    if (query.get('state') !== flow.state) {
      throw new HttpError('bad_request', "the sign-in's state does not match the one this browser started (a changed or stale link): sign in again");
    }
    const config = await this.configuration();
    const client = await openidClient();
    // The callback as the provider was told it (OIDC_REDIRECT_URL), whatever proxy the request came through.
    const callback = new URL(this.config.redirectUrl);
    callback.search = query.toString();
    let tokens: Awaited<ReturnType<typeof Oidc.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
    } catch (err) {
      throw providerError(err, 'exchanging the sign-in code');
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw new HttpError('bad_request', 'the provider sent no ID token');
    let claims: Record<string, unknown> = { ...idClaims };
    // Many providers keep profile claims and groups out of the ID token and serve them from userinfo.
    if (claims[this.config.usernameClaim] === undefined || claims[this.config.groupsClaim] === undefined) {
      try {
        const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = { ...info, ...idClaims };
      } catch (err) {
        throw providerError(err, 'reading the userinfo endpoint');
      }
    }
    return { issuer: idClaims.iss, subject: idClaims.sub, claims };
  }
}

/** The provider's failure in words for the person signing in; the cause stays in the server's log. */
export function providerError(err: unknown, doing: string): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as { name?: string; code?: string; error?: string; error_description?: string; status?: number; message?: string; cause?: unknown };
  const causeName = (e.cause as { name?: string } | undefined)?.name;
  // fetch's own failure (refused, reset, DNS) is a TypeError "fetch failed"; openid-client passes it through.
  const unreachable = (e.name === 'TypeError' && /fetch failed/.test(e.message ?? '')) || e.code === 'OAUTH_TIMEOUT' || e.code === 'OAUTH_ABORT' || causeName === 'TimeoutError';
  if (unreachable) return new HttpError('unavailable', `the sign-in provider could not be reached while ${doing}: try again later`);
  if (e.name === 'AuthorizationResponseError') {
    return new HttpError('forbidden', `the sign-in provider refused the sign-in (${e.error}${e.error_description ? `: ${e.error_description}` : ''})`);
  }
  if (e.name === 'ResponseBodyError') {
    if (e.error === 'invalid_grant') return new HttpError('bad_request', 'the sign-in provider refused the sign-in code: it expired, was already used, or is not for this sign-in. Sign in again');
    if ((e.status ?? 0) >= 500) return new HttpError('unavailable', `the sign-in provider failed while ${doing} (${e.status}): try again later`);
    return new HttpError('bad_request', `the sign-in provider refused ${doing} (${e.error}${e.error_description ? `: ${e.error_description}` : ''})`);
  }
  if (e.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || e.code === 'OAUTH_RESPONSE_IS_NOT_JSON') {
    return new HttpError('unavailable', `the sign-in provider answered unexpectedly while ${doing}: try again later`);
  }
  return new HttpError('bad_request', `the sign-in provider's answer did not check out while ${doing} (${e.message ?? 'unknown error'}): sign in again`);
}
