import { z } from 'zod';
import {
  RescoreProgress,
  RescoreRequest,
  AppliedLimits,
  AuditEntry,
  AuditPage,
  BenchmarkEntry,
  BenchmarkLeaderboard,
  BenchmarkList,
  BenchmarkView,
  CreateTeamRequest,
  CreateTokenRequest,
  CreateUserRequest,
  CreatedToken,
  ErrorBody,
  ModelDetail,
  ModelName,
  ModelPage,
  ModelSummary,
  RequestedLimits,
  RunSummary,
  RunView,
  SessionRequest,
  SessionView,
  SessionProviders,
  SubmitRunRequest,
  Team,
  TeamList,
  TokenInfo,
  TokenList,
  UpdateUserRequest,
  User,
  UserList,
  WhoAmI,
  HostList,
  HostView,
  DetailsFile,
  QueueFigures,
  QueueList,
} from '@modelrun/contracts';

type JsonSchema = Record<string, unknown>;

/**
 * The named schemas of the document, straight from the contracts. Request bodies are described
 * as zod reads them (input), responses as the API writes them (output); a schema used inside
 * another one becomes a `$ref` to its component.
 */
const REQUESTS = {
  SubmitRun: SubmitRunRequest,
  RequestedLimits,
  SessionRequest,
  CreateUser: CreateUserRequest,
  UpdateUser: UpdateUserRequest,
  CreateTeam: CreateTeamRequest,
  CreateToken: CreateTokenRequest,
  Rescore: RescoreRequest,
} as const;
const RESPONSES = {
  Run: RunView,
  RunSummary,
  ModelSummary,
  ModelPage,
  ModelDetail,
  AppliedLimits,
  Session: SessionView,
  SessionProviders,
  Error: ErrorBody,
  Benchmark: BenchmarkView,
  BenchmarkList,
  BenchmarkEntry,
  BenchmarkLeaderboard,
  User,
  UserList,
  Team,
  TeamList,
  Token: TokenInfo,
  TokenList,
  CreatedToken,
  WhoAmI,
  AuditEntry,
  AuditPage,
  Host: HostView,
  HostList,
  Queue: QueueFigures,
  QueueList,
  RunDetails: DetailsFile,
  RescoreProgress,
} as const;
const SHARED = { ModelName } as const;

export type ComponentName = keyof typeof REQUESTS | keyof typeof RESPONSES | keyof typeof SHARED;

const ref = (id: string): string => `#/components/schemas/${id}`;

function generate(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries({ ...SHARED, ...schemas })) registry.add(schema, { id });
  const { schemas: out } = z.toJSONSchema(registry, { io, uri: ref, unrepresentable: 'throw' }) as { schemas: Record<string, JsonSchema> };
  // Each entry comes as a stand-alone JSON Schema document; as a component it is a plain schema.
  for (const schema of Object.values(out)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return out;
}

/** `components.schemas`: every named schema, generated from the zod contracts. */
export function componentSchemas(): Record<ComponentName, JsonSchema> {
  const requests = generate(REQUESTS, 'input');
  const responses = generate(RESPONSES, 'output');
  return { ...requests, ...responses } as Record<ComponentName, JsonSchema>;
}

/** A JSON schema for one query or header parameter, as the client sends it. */
export function parameterSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as JsonSchema;
  delete json.$schema;
  return json;
}

export const schemaRef = (name: ComponentName): { $ref: string } => ({ $ref: ref(name) });
