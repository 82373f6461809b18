import { z } from 'zod';
import {
  AuditQuery,
  BenchmarkLeaderboardQuery,
  BenchmarkName,
  IdempotencyKey,
  ModelListQuery,
  ModelName,
  ModelRunsQuery,
  PersonId,
  RunGetQuery,
  RunId,
  RunLogsQuery,
  TokenInfo,
  TokenListQuery,
  HostId,
  RESCORE_ID_PATTERN,
} from '@modelrun/contracts';
import { type ComponentName, parameterSchema, schemaRef } from './components';
import { operationId } from './operation-ids';

type Json = Record<string, unknown>;
type Status = '200' | '201' | '202' | '204' | '304' | '400' | '401' | '403' | '404' | '409' | '413' | '429' | '503';

interface Operation {
  summary: string;
  /** Open to everyone (no token, no session). */
  open?: boolean;
  path?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  headers?: Record<string, { schema: z.ZodType; description: string }>;
  body?: ComponentName;
  /** Status: [description, JSON body component] or [description, media type]. */
  responses: Partial<Record<Status, [string, ComponentName?] | [string, { type: string }]>>;
}

/** What any authenticated /v1 request may answer besides its own outcomes. */
const COMMON: Operation['responses'] = {
  '401': ['Missing or invalid bearer token or session', 'Error'],
  '403': ["The caller's role or token scope does not allow it, or the run is someone else's (the message says which)", 'Error'],
  '429': ['Too many requests; see Retry-After', 'Error'],
  '503': ['Redis unreachable; retry later', 'Error'],
};

/** What an open route (no token, no session) may answer besides its own outcomes. */
const OPEN: Operation['responses'] = {
  '403': ['The API has no API_TOKENS and the request was not addressed to a loopback host (a guard against DNS rebinding)', 'Error'],
};

const runId = { id: RunId };

/** Every route of the API, described by the same zod schemas the routes parse with. */
const personId = { id: PersonId };
const DENIED: Operation['responses'] = { '403': ['The role or token scope does not allow it (the message says which is missing)', 'Error'] };

const OPERATIONS: Record<string, Partial<Record<'get' | 'post' | 'patch' | 'delete', Operation>>> = {
  '/v1/models': {
    post: {
      summary: 'Submit a run of a model image',
      headers: { 'Idempotency-Key': { schema: IdempotencyKey, description: 'Same key and body: the same run, for 30 days' } },
      body: 'SubmitRun',
      responses: {
        '202': ['Queued; Location names the run', 'Run'],
        '400': ['Bad input: the message names the field', 'Error'],
        '403': ['Image not in ALLOWED_IMAGES, or a session write without its X-CSRF-Token', 'Error'],
        '409': ['Idempotency-Key reused with a different body; or the benchmark is between phases (phase_closed, with nextOpensAt) or past its last (benchmark_closed)', 'Error'],
        '413': ['Body too large', 'Error'],
        '429': ["Too many requests, or over the benchmark's quota (quota_exceeded: Retry-After, and retryAfterSeconds and nextAllowedAt in the body)", 'Error'],
      },
    },
    get: { summary: 'The leaderboard: every model with its latest run and best score', query: ModelListQuery, responses: { '200': ['A page of models', 'ModelPage'], '400': ['Bad query', 'Error'] } },
  },
  '/v1/models/{name}': {
    get: {
      summary: 'One model and its runs, newest first',
      path: { name: ModelName },
      query: ModelRunsQuery,
      responses: { '200': ['The model', 'ModelDetail'], '400': ['Bad query', 'Error'], '404': ['No such model', 'Error'] },
    },
  },
  '/v1/runs/{id}': {
    get: {
      summary: 'One run; with wait=N, answered when the run ends or after N seconds',
      path: runId,
      query: RunGetQuery,
      responses: { '200': ['The run', 'Run'], '400': ['Bad query', 'Error'], '404': ['No such run', 'Error'] },
    },
    delete: {
      summary: 'Cancel a queued or running run',
      path: runId,
      responses: {
        '202': ['Cancelled', 'Run'],
        '403': ['Not your run to cancel (a viewer, or a teammate without the role), or a session write without its X-CSRF-Token', 'Error'],
        '404': ['No such run, or not yours to see', 'Error'],
        '409': ['The run has already ended', 'Error'],
      },
    },
  },
  '/v1/benchmarks': {
    get: {
      summary: "The benchmarks: each one's metrics (name, direction), primary metric and quotas, and its phases (the open one with the seconds left, the next)",
      responses: { '200': ['Every benchmark', 'BenchmarkList'] },
    },
  },
  '/v1/benchmarks/{name}': {
    get: { summary: 'One benchmark', path: { name: BenchmarkName }, responses: { '200': ['The benchmark', 'Benchmark'], '404': ['No such benchmark', 'Error'] } },
  },
  '/v1/benchmarks/{name}/leaderboard': {
    get: {
      summary: "A benchmark's leaderboard: each model's best run by the primary metric, its metrics as columns; sort by any metric in its own direction (ties: the earlier run first)",
      path: { name: BenchmarkName },
      query: BenchmarkLeaderboardQuery,
      responses: {
        '200': ['A page of the leaderboard', 'BenchmarkLeaderboard'],
        '400': ['Bad query, a metric the benchmark does not have, or a phase it does not have', 'Error'],
        '403': ['board=private before the reveal, to a caller who is not an operator or admin (private_board_hidden)', 'Error'],
        '404': ['No such benchmark', 'Error'],
      },
    },
  },
  '/v1/runs/{id}/logs': {
    get: {
      summary: "The run's output (the last RUN_LOG_MAX_KB); follow=true streams a running run's output until it ends, as fast as the client reads (a client that reads nothing for 30 s is closed)",
      path: runId,
      query: RunLogsQuery,
      responses: {
        '200': ['Output', { type: 'text/plain' }],
        '404': ['No such run', 'Error'],
        '429': ['follow=true: the caller already follows 4 runs, or the API 64; see Retry-After', 'Error'],
      },
    },
  },
  '/v1/runs/{id}/rerun': {
    post: {
      summary:
        'Re-run a finished run (operators and admins): a new run with its name, benchmark and limits, running its pinned image digest, owned by its submitter, outside their quota; it names the original (rerunOf) and who asked (requestedBy)',
      path: runId,
      responses: {
        '202': ['Queued: the new run', 'Run'],
        '403': ['Not an operator or admin', 'Error'],
        '404': ['No such run', 'Error'],
        '409': ['The run has not ended yet', 'Error'],
        '503': ['Redis unreachable', 'Error'],
      },
    },
  },
  '/v1/session': {
    get: {
      summary: 'Whether this browser is signed in (and its CSRF token)',
      open: true,
      responses: { '200': ['The session', 'Session'], '429': ['Too many requests, or too many refused sign-ins from this address; see Retry-After', 'Error'] },
    },
    post: {
      summary: 'Sign in: trade an API token for a session cookie',
      open: true,
      body: 'SessionRequest',
      responses: {
        '200': ['Signed in; the cookie is set', 'Session'],
        '400': ['Bad input', 'Error'],
        '401': ['Not a valid token', 'Error'],
        '429': ['Too many attempts', 'Error'],
        '503': ['Redis unreachable', 'Error'],
      },
    },
    delete: {
      summary: 'Sign out: end the session and clear the cookie',
      open: true,
      responses: { '200': ['Signed out', 'Session'], '403': ['Without its X-CSRF-Token', 'Error'], '503': ['Redis unreachable', 'Error'] },
    },
  },
  '/v1/whoami': { get: { summary: 'Who the API takes the caller for: user, role, team, scopes', responses: { '200': ['The caller', 'WhoAmI'] } } },
  '/v1/users': {
    get: { summary: 'Every user (admins)', responses: { '200': ['The users', 'UserList'], ...DENIED } },
    post: {
      summary: 'Make a user (admins; audited)',
      body: 'CreateUser',
      responses: { '201': ['Made', 'User'], '400': ['Bad input, or no such team', 'Error'], ...DENIED, '409': ['The id is taken', 'Error'] },
    },
  },
  '/v1/users/{id}': {
    get: { summary: 'One user (admins)', path: personId, responses: { '200': ['The user', 'User'], '400': ['Bad id', 'Error'], ...DENIED, '404': ['No such user', 'Error'] } },
    patch: {
      summary: "Change a user's role, team or name (admins; audited)",
      path: personId,
      body: 'UpdateUser',
      responses: { '200': ['Changed', 'User'], '400': ['Bad input', 'Error'], ...DENIED, '404': ['No such user', 'Error'] },
    },
    delete: {
      summary: 'Remove a user and revoke their tokens (admins; audited)',
      path: personId,
      responses: { '200': ['Removed: the user as they were', 'User'], '400': ['Bad id, or yourself', 'Error'], ...DENIED, '404': ['No such user', 'Error'] },
    },
  },
  '/v1/teams': {
    get: { summary: 'Every team (admins)', responses: { '200': ['The teams', 'TeamList'], ...DENIED } },
    post: { summary: 'Make a team (admins; audited)', body: 'CreateTeam', responses: { '201': ['Made', 'Team'], '400': ['Bad input', 'Error'], ...DENIED, '409': ['The id is taken', 'Error'] } },
  },
  '/v1/teams/{id}': {
    delete: {
      summary: 'Remove an empty team (admins; audited)',
      path: personId,
      responses: { '200': ['Removed', 'Team'], '400': ['Bad id', 'Error'], ...DENIED, '404': ['No such team', 'Error'], '409': ['The team still has members', 'Error'] },
    },
  },
  '/v1/tokens': {
    get: {
      summary: "The caller's personal access tokens (an admin's: everyone's, or one user's)",
      query: TokenListQuery,
      responses: { '200': ['The tokens, never their secrets', 'TokenList'], '400': ['Bad query', 'Error'], ...DENIED, '404': ['No such user (or not yours to see)', 'Error'] },
    },
    post: {
      summary: 'Make a personal access token, shown this once (audited)',
      body: 'CreateToken',
      responses: { '201': ['Made: the token is in the body, this once', 'CreatedToken'], '400': ['Bad input', 'Error'], ...DENIED, '404': ['No such user (or not yours to see)', 'Error'] },
    },
  },
  '/v1/tokens/{id}': {
    delete: {
      summary: "Revoke a token; its browser sessions end at once (the owner's or an admin's; audited)",
      path: { id: TokenInfo.shape.id },
      responses: { '200': ['Revoked', 'Token'], '400': ['Bad id', 'Error'], ...DENIED, '404': ['No such token (or not yours)', 'Error'] },
    },
  },
  '/v1/audit': {
    get: { summary: 'The audit log, newest first (admins)', query: AuditQuery, responses: { '200': ['A page of entries', 'AuditPage'], '400': ['Bad query', 'Error'], ...DENIED } },
  },
  '/v1/hosts': {
    get: { summary: 'The fleet: every host seen in the last day, live or lost, with its processes and runs (operators, admins)', responses: { '200': ['The hosts', 'HostList'], ...DENIED } },
  },
  '/v1/hosts/{id}': {
    get: {
      summary: 'One host (operators, admins)',
      path: { id: HostId },
      responses: { '200': ['The host', 'Host'], '400': ['Bad id', 'Error'], ...DENIED, '404': ['No such host in the last day', 'Error'] },
    },
  },
  '/v1/hosts/{id}/drain': {
    post: {
      summary: 'Drain a host: its workers take nothing new and finish what they run; kept across restarts until resumed (operators, admins; audited)',
      path: { id: HostId },
      responses: { '200': ['The host, draining or drained', 'Host'], '400': ['Bad id', 'Error'], ...DENIED, '404': ['No such host in the last day', 'Error'] },
    },
  },
  '/v1/hosts/{id}/resume': {
    post: {
      summary: 'Resume a drained host (operators, admins; audited)',
      path: { id: HostId },
      responses: { '200': ['The host, active', 'Host'], '400': ['Bad id', 'Error'], ...DENIED, '404': ['No such host in the last day', 'Error'] },
    },
  },
  '/v1/queues': {
    get: { summary: "Each queue's waiting and running runs, the oldest wait, and whether it is paused (operators, admins)", responses: { '200': ['The queues', 'QueueList'], ...DENIED } },
  },
  '/v1/queues/{name}/pause': {
    post: {
      summary: 'Pause a queue for every worker of every host: running runs finish, none starts (operators, admins; audited)',
      path: { name: z.string() },
      responses: { '200': ['The queue', 'Queue'], '400': ['Bad name', 'Error'], ...DENIED, '404': ['No such queue', 'Error'] },
    },
  },
  '/v1/queues/{name}/resume': {
    post: {
      summary: 'Resume a paused queue (operators, admins; audited)',
      path: { name: z.string() },
      responses: { '200': ['The queue', 'Queue'], '400': ['Bad name', 'Error'], ...DENIED, '404': ['No such queue', 'Error'] },
    },
  },
  '/v1/openapi.json': { get: { summary: 'This document', responses: { '200': ['OpenAPI 3.1', { type: 'application/json' }] } } },
  '/healthz': { get: { summary: 'The process is alive', open: true, responses: { '200': ['Alive', { type: 'application/json' }] } } },
  '/readyz': { get: { summary: 'Redis and the volume are reachable', open: true, responses: { '200': ['Ready', { type: 'application/json' }], '503': ['Not ready', { type: 'application/json' }] } } },
  '/metrics': { get: { summary: 'Prometheus metrics', open: true, responses: { '200': ['Exposition format', { type: 'text/plain' }] } } },
  '/v1/session/providers': {
    get: { summary: 'The ways to sign in besides a token: single sign-on, when configured', open: true, responses: { '200': ['The providers (none without OIDC_ISSUER)', 'SessionProviders'] } },
  },
  '/v1/benchmarks/{name}/reveal': {
    post: {
      summary: "Reveal a benchmark's private board to everyone, for good (admins; audited as benchmark.reveal); a second reveal changes nothing",
      path: { name: BenchmarkName },
      responses: { '200': ['The benchmark, its private board revealed', 'Benchmark'], ...DENIED, '404': ['No such benchmark', 'Error'] },
    },
  },
  '/v1/runs/{id}/selection': {
    post: {
      summary: "Select a succeeded run of a benchmark whose board rule is `selected` for its private board (the run's submitter, their team, or an admin), up to the benchmark's selectLimit per model",
      path: runId,
      responses: {
        '200': ['The run, selected: true', 'Run'],
        '403': ['Not your run to select (the message says whose it is)', 'Error'],
        '404': ['No such run, or not yours to see', 'Error'],
        '409': ['selection_limit: the model has selectLimit runs selected (selectLimit and selectedRuns in the body); conflict: not a succeeded run of a `selected`-rule benchmark', 'Error'],
      },
    },
    delete: {
      summary: 'Take a run off the private board selection',
      path: runId,
      responses: {
        '200': ['The run, selected: false', 'Run'],
        '403': ['Not your run to unselect', 'Error'],
        '404': ['No such run, or not yours to see', 'Error'],
        '409': ['Not a run of a `selected`-rule benchmark', 'Error'],
      },
    },
  },
  '/v1/runs/{id}/predictions': {
    get: {
      summary: "A benchmark run's kept predictions: the model's /output as the evaluator got it, a tar of regular files and folders (its owner, operators and admins)",
      path: runId,
      responses: { '200': ['The tar', { type: 'application/x-tar' }], '404': ['No such run, not yours, or it has no kept predictions', 'Error'] },
    },
  },
  '/v1/runs/{id}/details': {
    get: {
      summary: "A benchmark run's detailed results from its evaluator, on the public part of the reference only (its owner, operators and admins)",
      path: runId,
      responses: { '200': ['The tables and notes', 'RunDetails'], '404': ['No such run, not yours, or it has no detailed results', 'Error'] },
    },
  },
  '/v1/runs/{id}/rescore': {
    post: {
      summary:
        "Re-score a scored benchmark run (operators and admins; audited as run.rescore): the benchmark's current evaluator (its phase's) again on the run's kept predictions, below submissions' priority, outside every quota; the run keeps each score in scoreHistory",
      path: runId,
      responses: {
        '202': ['Queued: the re-score and its progress', 'RescoreProgress'],
        ...DENIED,
        '404': ['No such run', 'Error'],
        '409': ['Not a scored benchmark run', 'Error'],
        '503': ['Redis unreachable', 'Error'],
      },
    },
  },
  '/v1/benchmarks/{name}/rescore': {
    post: {
      summary:
        'Re-score every scored run of a benchmark, or of one of its phases (`phase`), in bulk (operators and admins; audited as benchmark.rescore): one job per run; runs without kept predictions count as skipped',
      path: { name: BenchmarkName },
      body: 'Rescore',
      responses: {
        '202': ['Queued: the re-score and its progress', 'RescoreProgress'],
        '400': ['Bad body, or no such phase', 'Error'],
        ...DENIED,
        '404': ['No such benchmark', 'Error'],
        '503': ['Redis unreachable', 'Error'],
      },
    },
  },
  '/v1/rescores/{id}': {
    get: {
      summary: "A re-score's progress (operators and admins): total, done, changed, unchanged, skipped (no kept predictions) and failed (the evaluator failed: the score was kept)",
      path: { id: z.string().regex(RESCORE_ID_PATTERN) },
      responses: { '200': ['The progress', 'RescoreProgress'], ...DENIED, '404': ['No such re-score (or it expired, 30 days after its last change)', 'Error'] },
    },
  },
};

function parameters(op: Operation): Json[] {
  const params: Json[] = [];
  for (const [name, schema] of Object.entries(op.path ?? {})) params.push({ name, in: 'path', required: true, schema: parameterSchema(schema) });
  for (const [name, schema] of Object.entries(op.query?.shape ?? {})) {
    const s = schema as z.ZodType;
    params.push({ name, in: 'query', required: !s.safeParse(undefined).success, schema: parameterSchema(s), ...(s.description && { description: s.description }) });
  }
  for (const [name, h] of Object.entries(op.headers ?? {})) params.push({ name, in: 'header', schema: parameterSchema(h.schema), description: h.description });
  return params;
}

function responses(op: Operation): Json {
  const all = op.open ? { ...OPEN, ...op.responses } : { ...COMMON, ...op.responses };
  const out: Json = {};
  for (const [status, [description, content]] of Object.entries(all)) {
    if (content === undefined) out[status] = { description };
    else if (typeof content === 'string') out[status] = { description, content: { 'application/json': { schema: schemaRef(content) } } };
    else out[status] = { description, content: { [content.type]: {} } };
  }
  return out;
}

/** `paths` of the document. */
export function paths(): Json {
  const out: Json = {};
  for (const [path, methods] of Object.entries(OPERATIONS)) {
    const item: Json = {};
    for (const [method, op] of Object.entries(methods)) {
      const params = parameters(op);
      item[method] = {
        operationId: operationId(method, path),
        summary: op.summary,
        ...(op.open && { security: [] }),
        ...(params.length && { parameters: params }),
        ...(op.body && { requestBody: { required: true, content: { 'application/json': { schema: schemaRef(op.body) } } } }),
        responses: responses(op),
      };
    }
    out[path] = item;
  }
  return out;
}
