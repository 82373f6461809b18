import assert from 'node:assert/strict';
import { openApiDocument } from '../../../apps/api/src/openapi/document';
import { operationId } from '../../../apps/api/src/openapi/operation-ids';

describe("the OpenAPI document's operationIds", () => {
  const operations = Object.entries(openApiDocument().paths as Record<string, Record<string, { operationId?: string }>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ at: `${method} ${path}`, id: op.operationId })),
  );

  it('gives every operation one, each different', () => {
    assert.ok(operations.length >= 16);
    for (const op of operations) assert.match(op.id ?? '', /^[a-z][A-Za-z0-9]*$/, op.at);
    assert.equal(new Set(operations.map((o) => o.id)).size, operations.length);
  });

  it('names the run routes as a client would call them', () => {
    const ids = new Map(operations.map((o) => [o.at, o.id]));
    assert.equal(ids.get('post /v1/models'), 'submitRun');
    assert.equal(ids.get('delete /v1/runs/{id}'), 'cancelRun');
    assert.equal(ids.get('get /v1/runs/{id}/logs'), 'getRunLogs');
  });

  it('derives one for a route not named yet, from its method and path', () => {
    assert.equal(operationId('put', '/v1/runs/{id}/labels'), 'putRunsIdLabels');
  });
});
