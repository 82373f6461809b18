/**
 * Each operation's operationId: the name a generated client gives its method, so it is chosen
 * here rather than left to each generator's guess from the path. An operation without an entry
 * gets one derived from its method and path (see operationId), so the document never lacks one;
 * name it here when adding a route.
 */
const IDS: Record<string, string> = {
  'post /v1/models': 'submitRun',
  'get /v1/models': 'listModels',
  'get /v1/models/{name}': 'getModel',
  'get /v1/runs/{id}': 'getRun',
  'delete /v1/runs/{id}': 'cancelRun',
  'get /v1/runs/{id}/logs': 'getRunLogs',
  'post /v1/runs/{id}/rerun': 'rerunRun',
  'get /v1/benchmarks': 'listBenchmarks',
  'get /v1/benchmarks/{name}': 'getBenchmark',
  'get /v1/benchmarks/{name}/leaderboard': 'getBenchmarkLeaderboard',
  'get /v1/session': 'getSession',
  'post /v1/session': 'signIn',
  'delete /v1/session': 'signOut',
  'get /v1/whoami': 'whoAmI',
  'get /v1/users': 'listUsers',
  'post /v1/users': 'createUser',
  'get /v1/users/{id}': 'getUser',
  'patch /v1/users/{id}': 'updateUser',
  'delete /v1/users/{id}': 'deleteUser',
  'get /v1/teams': 'listTeams',
  'post /v1/teams': 'createTeam',
  'delete /v1/teams/{id}': 'deleteTeam',
  'get /v1/tokens': 'listTokens',
  'post /v1/tokens': 'createToken',
  'delete /v1/tokens/{id}': 'revokeToken',
  'get /v1/audit': 'listAuditEntries',
  'get /v1/hosts': 'listHosts',
  'get /v1/hosts/{id}': 'getHost',
  'post /v1/hosts/{id}/drain': 'drainHost',
  'post /v1/hosts/{id}/resume': 'resumeHost',
  'get /v1/queues': 'listQueues',
  'post /v1/queues/{name}/pause': 'pauseQueue',
  'post /v1/queues/{name}/resume': 'resumeQueue',
  'get /v1/openapi.json': 'getOpenApiDocument',
  'get /healthz': 'getHealth',
  'get /readyz': 'getReadiness',
  'get /metrics': 'getMetrics',
  'get /v1/session/providers': 'listSignInProviders',
  'post /v1/benchmarks/{name}/reveal': 'revealPrivateBoard',
  'post /v1/runs/{id}/selection': 'selectRun',
  'delete /v1/runs/{id}/selection': 'unselectRun',
  'get /v1/runs/{id}/predictions': 'getRunPredictions',
  'get /v1/runs/{id}/details': 'getRunDetails',
  'post /v1/runs/{id}/rescore': 'rescoreRun',
  'post /v1/benchmarks/{name}/rescore': 'rescoreBenchmark',
  'get /v1/rescores/{id}': 'getRescore',
};

/** The operation's id: named above, else its method and path in camel case (`get /v1/runs/{id}/logs` → `getRunsIdLogs`). */
export function operationId(method: string, path: string): string {
  const named = IDS[`${method} ${path}`];
  if (named) return named;
  const words = path.split(/[^A-Za-z0-9]+/).filter((w) => w && w !== 'v1');
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}
