import { InfrastructureError, ModelFault } from './errors';

/** What the engine said when a pull failed: its HTTP status (none for a stream error) and words. */
export interface PullFailure {
  status?: number;
  message: string;
  /** Whether credentials from REGISTRY_AUTH_FILE went with the pull. */
  withCredentials: boolean;
  registry: string;
}

const AUTH = /unauthorized|authentication required|no basic auth credentials|denied|forbidden|incorrect username or password/i;
const NOT_FOUND = /manifest unknown|not found|does not exist|name unknown|no such image|invalid reference format/i;

/**
 * Decides whose fault a failed pull is. A missing image or tag is the submitter's
 * (`image_not_found`); credentials missing or refused are the operator's (`registry_auth`);
 * neither is retried. Anything else (registry unreachable, DNS, timeouts, 5xx) is the
 * platform's: an InfrastructureError, retried with backoff.
 */
export function classifyPullFailure(image: string, f: PullFailure): ModelFault | InfrastructureError {
  // 404 is the engine's "not found" (Docker Hub's "pull access denied ... does not exist or may
  // require 'docker login'" too: without an account there, a missing image looks like that).
  if (f.status === 404 || f.status === 400) return notFound(image, f);
  if (f.status === 401 || f.status === 403 || AUTH.test(f.message)) {
    const why = f.withCredentials
      ? `the registry ${f.registry} refused the credentials REGISTRY_AUTH_FILE has for it`
      : `the registry ${f.registry} requires credentials and REGISTRY_AUTH_FILE has none for it`;
    return new ModelFault('registry_auth', `image ${image} could not be pulled: ${why} (${f.message})`);
  }
  // A stream error has no status: its words decide.
  if (f.status === undefined && NOT_FOUND.test(f.message)) return notFound(image, f);
  return new InfrastructureError(`docker: pull ${image} from ${f.registry}: ${f.message}`);
}

function notFound(image: string, f: PullFailure): ModelFault {
  return new ModelFault('image_not_found', `image ${image} is not on this host and the registry ${f.registry} does not have it (${f.message})`);
}
