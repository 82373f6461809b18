import { Router } from 'express';
import { ERROR_CODES, FAILURE_REASONS, RUN_PHASES, RUN_STATUSES } from '@modelrun/contracts';
import { MODEL_SORTS } from '@modelrun/store';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const errors = {
  '400': error('Bad input: the message names the field'),
  '401': error('Missing or invalid bearer token'),
  '429': error('Too many requests; see Retry-After'),
  '503': error('Redis unreachable; retry later'),
};

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

/** The API's contract, served at /v1/openapi.json. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'modelrun', version: '1', description: 'Run ML models packaged as container images and keep their scores.' },
  servers: [{ url: '/' }],
  security: [{ bearer: [] }],
  paths: {
    '/v1/models': {
      post: {
        summary: 'Submit a run of a model image',
        parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 }, description: 'Same key and body: the same run, for 30 days' }],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SubmitRun' } } } },
        responses: {
          '202': { description: 'Queued', headers: { Location: { schema: { type: 'string' } } }, content: { 'application/json': { schema: { $ref: '#/components/schemas/Run' } } } },
          ...errors,
          '403': error('Image not in ALLOWED_IMAGES'),
          '409': error('Idempotency-Key reused with a different body'),
          '413': error('Body too large'),
        },
      },
      get: {
        summary: 'The leaderboard: every model with its latest run and best score',
        parameters: [
          { name: 'sort', in: 'query', schema: { type: 'string', enum: MODEL_SORTS, default: 'score' } },
          { name: 'order', in: 'query', schema: { type: 'string', enum: ['asc', 'desc'] } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
        ],
        responses: { '200': { description: 'A page of models', content: { 'application/json': { schema: { $ref: '#/components/schemas/ModelPage' } } } }, ...errors },
      },
    },
    '/v1/models/{name}': {
      get: {
        summary: 'One model and its runs, newest first',
        parameters: [
          { name: 'name', in: 'path', required: true, schema: { $ref: '#/components/schemas/ModelName' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
        ],
        responses: { '200': { description: 'The model' }, '404': error('No such model'), ...errors },
      },
    },
    '/v1/runs/{id}': {
      get: {
        summary: 'One run; with wait=N, answered when the run ends or after N seconds',
        parameters: [idParam, { name: 'wait', in: 'query', schema: { type: 'number', minimum: 0, maximum: 60 } }],
        responses: { '200': { description: 'The run', content: { 'application/json': { schema: { $ref: '#/components/schemas/Run' } } } }, '404': error('No such run'), ...errors },
      },
      delete: { summary: 'Cancel a queued or running run', parameters: [idParam], responses: { '202': { description: 'Cancelled' }, '404': error('No such run'), '409': error('The run has already ended'), ...errors } },
    },
    '/v1/runs/{id}/logs': {
      get: {
        summary: "The run's output (the last RUN_LOG_MAX_KB); follow=true streams a running run's output until it ends",
        parameters: [idParam, { name: 'follow', in: 'query', schema: { type: 'boolean' } }],
        responses: { '200': { description: 'Output', content: { 'text/plain': {} } }, '404': error('No such run'), ...errors },
      },
    },
    '/healthz': { get: { security: [], summary: 'The process is alive', responses: { '200': { description: 'Alive' } } } },
    '/readyz': { get: { security: [], summary: 'Redis and the volume are reachable', responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } } } },
    '/metrics': { get: { security: [], summary: 'Prometheus metrics', responses: { '200': { description: 'Exposition format' } } } },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      ModelName: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' },
      Limits: {
        type: 'object',
        additionalProperties: false,
        properties: {
          timeoutSeconds: { type: 'integer', minimum: 1 },
          memoryMb: { type: 'integer', minimum: 16 },
          cpus: { type: 'number', minimum: 0.01 },
          gpus: { type: 'integer', minimum: 0 },
        },
      },
      SubmitRun: {
        type: 'object',
        additionalProperties: false,
        required: ['image', 'name'],
        properties: { image: { type: 'string', maxLength: 255, examples: ['registry.example/team/model:1.0'] }, name: { $ref: '#/components/schemas/ModelName' }, limits: { $ref: '#/components/schemas/Limits' } },
      },
      Run: {
        type: 'object',
        required: ['id', 'name', 'image', 'status', 'limits', 'createdAt'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          name: { $ref: '#/components/schemas/ModelName' },
          image: { type: 'string' },
          status: { type: 'string', enum: RUN_STATUSES },
          phase: { type: 'string', enum: RUN_PHASES },
          reason: { type: 'string', enum: FAILURE_REASONS },
          error: { type: 'string' },
          exitCode: { type: ['integer', 'null'] },
          score: { type: 'number' },
          metrics: { type: 'object', additionalProperties: { type: 'number' } },
          limits: { $ref: '#/components/schemas/Limits' },
          createdAt: { type: 'string', format: 'date-time' },
          startedAt: { type: 'string', format: 'date-time' },
          finishedAt: { type: 'string', format: 'date-time' },
          durationMs: { type: 'integer' },
          attempts: { type: 'integer' },
          attemptErrors: { type: 'array', items: { type: 'object', properties: { attempt: { type: 'integer' }, at: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
      ModelPage: {
        type: 'object',
        properties: {
          models: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, runCount: { type: 'integer' }, latestRun: { type: 'object' }, bestRun: { type: 'object' }, bestScore: { type: 'number' } } } },
          total: { type: 'integer' },
          limit: { type: 'integer' },
          offset: { type: 'integer' },
        },
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', enum: Object.keys(ERROR_CODES) }, message: { type: 'string' } } } },
      },
    },
  },
} as const;

export function openApiRouter(): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.json(openApiDocument);
  });
  return router;
}
