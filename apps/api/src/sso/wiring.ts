import type { ApiConfig } from '@modelrun/config';
import type { Redis } from 'ioredis';
import { bootstrapUsers } from '../middleware/auth';
import { AuditLog } from '../services/audit-log';
import { IdentityStore } from '../services/identities';
import { SessionStore } from '../services/sessions';
import { OidcClient } from './oidc-client';
import type { SsoDeps } from './routes';
import { SsoSignIn } from './sign-in';
import { SsoStore } from './sso-store';

/**
 * Single sign-on's parts for the API process, or undefined when OIDC_ISSUER is unset. The
 * stores keep nothing in memory that matters, so these are the same Redis keys the rest of the
 * API reads (users, the audit log, sessions), not copies.
 */
export function ssoFromConfig(config: ApiConfig, redis: Redis): SsoDeps | undefined {
  if (!config.oidc) return undefined;
  const prefix = config.deployment;
  const identities = new IdentityStore(redis, prefix, bootstrapUsers(config.apiTokens));
  const audit = new AuditLog(redis, prefix, config.auditRetentionSeconds * 1000);
  const store = new SsoStore(redis, prefix);
  return {
    client: new OidcClient(config.oidc),
    store,
    signIn: new SsoSignIn(identities, audit, store, config.oidc),
    sessions: new SessionStore(redis, prefix, config.sessionTtlSeconds),
  };
}
