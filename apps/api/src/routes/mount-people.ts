import type { Express } from 'express';
import type { AuditLog } from '../services/audit-log';
import type { IdentityStore } from '../services/identities';
import { PeopleService } from '../services/people';
import { auditRouter } from './audit';
import { usersRouter, teamsRouter } from './people';
import { tokensRouter, whoamiRouter } from './tokens';

/**
 * The people routes: /v1/whoami always; /v1/users, /v1/teams, /v1/tokens and /v1/audit when the
 * deployment keeps identities (the API process always does; some unit tests build apps without).
 */
export function mountPeople(app: Express, identities: IdentityStore | undefined, audit: AuditLog | undefined, bodyLimitBytes: number): void {
  app.use('/v1/whoami', whoamiRouter());
  if (!identities || !audit) return;
  const people = new PeopleService(identities, audit);
  app.use('/v1/users', usersRouter(people, bodyLimitBytes));
  app.use('/v1/teams', teamsRouter(people, bodyLimitBytes));
  app.use('/v1/tokens', tokensRouter(people, bodyLimitBytes));
  app.use('/v1/audit', auditRouter(audit));
}
