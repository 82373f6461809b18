import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { RUN_QUEUE, type RunView } from '@modelrun/contracts';
import { buildBenchmarkFixtures, createReferenceVolume, removeVolume, writeBenchmarksFile } from '../fixtures/benchmark';
import { buildFixtures, fixture } from '../fixtures/images';
import { type AppProcess, spawnApp } from '../helpers/processes';
import { testRedis } from '../helpers/redis-server';
import { type Stack, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait';

/** One span as an OTLP/HTTP JSON export carries it, with its process's service name. */
interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

// OTLP's SpanKind numbers.
const KIND = { internal: 1, server: 2, producer: 4, consumer: 5 } as const;

/**
 * An OTLP/HTTP receiver, as a collector's: POST /v1/traces with ExportTraceServiceRequest JSON
 * (OTEL_EXPORTER_OTLP_PROTOCOL=http/json), answered 200. Keeps every span and every request.
 */
async function startReceiver(): Promise<{ url: string; spans: ExportedSpan[]; requests: string[]; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${req.headers['content-type']} ${Buffer.concat(chunks).length}`);
      if (req.method === 'POST' && req.url === '/v1/traces' && req.headers['content-type'] === 'application/json') {
        spans.push(...parseExport(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };
type OtlpExport = {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttribute[] }> }>;
  }>;
};

function attributesOf(list: OtlpAttribute[] = []): Record<string, string | number | boolean> {
  return Object.fromEntries(list.map(({ key, value }) => [key, value.stringValue ?? value.boolValue ?? value.doubleValue ?? Number(value.intValue)]));
}

function parseExport(body: OtlpExport): ExportedSpan[] {
  return (body.resourceSpans ?? []).flatMap((rs) => {
    const service = String(attributesOf(rs.resource?.attributes)['service.name']);
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        service,
        traceId: s.traceId,
        spanId: s.spanId,
        ...(s.parentSpanId && { parentSpanId: s.parentSpanId }),
        name: s.name,
        kind: s.kind,
        attributes: attributesOf(s.attributes),
      })),
    );
  });
}

describe('tracing: one trace per run, across the API and worker processes', function () {
  // Two real processes start from source (tsx) per test, then a run.
  this.timeout(120_000);
  let stack: Stack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const procs: AppProcess[] = [];

  const reference = `modelrun-test-ref-tracing-${process.pid}`;
  before(async () => {
    await buildFixtures();
    await buildBenchmarkFixtures();
    await createReferenceVolume(reference);
  });
  after(() => removeVolume(reference));
  beforeEach(async () => {
    stack = await startStack({ workers: 0, api: false, env: { BENCHMARKS_FILE: writeBenchmarksFile(reference, [{ name: 'toy', evaluator: 'bm-eval' }]) } });
    receiver = await startReceiver();
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      p.kill('SIGKILL');
      await p.exited;
    }
    await receiver?.close();
    await stack?.stop();
  });

  /** The API and a worker as real processes; the API's base URL. */
  const startProcesses = async (env: Record<string, string>): Promise<{ api: AppProcess; worker: AppProcess; url: string }> => {
    const api = spawnApp('api', { ...stack.env, ...env });
    const worker = spawnApp('worker', { ...stack.env, ...env });
    procs.push(api, worker);
    const [listening] = await Promise.all([api.waitForLog('api listening'), worker.waitForLog('worker started')]).catch((err: Error) => {
      throw new Error(`${err.message}; api said: ${api.lines.map((l) => l.message).join(' | ')}; worker said: ${worker.lines.map((l) => l.message).join(' | ')}`);
    });
    return { api, worker, url: String(listening.url) };
  };

  const submit = async (url: string, name: string, headers: Record<string, string> = {}, body: Record<string, string> = { image: fixture('score-json') }): Promise<RunView> => {
    const res = await fetch(`${url}/v1/models`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ ...body, name }) });
    assert.equal(res.status, 202, await res.clone().text());
    return (await res.json()) as RunView;
  };

  const finished = async (url: string, id: string): Promise<RunView> =>
    waitFor(
      `run ${id} to finish`,
      async () => {
        const run = (await (await fetch(`${url}/v1/runs/${id}?wait=20`)).json()) as RunView;
        return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
      },
      60_000,
    );

  /** Stops both processes as a deploy would: each sends what it still holds before it exits. */
  const stopGracefully = async (...ps: AppProcess[]): Promise<void> => {
    for (const p of ps) p.kill('SIGTERM');
    const exits = await Promise.all(ps.map((p) => p.exited));
    assert.deepEqual(
      exits.map((e) => e.code),
      ps.map(() => 0),
    );
  };

  const jobTelemetry = async (id: string): Promise<unknown> => {
    const conn = testRedis(stack.redisUrl);
    const queue = new Queue(RUN_QUEUE, { connection: conn, prefix: stack.prefix });
    try {
      return (await queue.getJob(id))?.opts.telemetry;
    } finally {
      await queue.close();
      conn.disconnect();
    }
  };

  it("exports the submit, the enqueue and the worker's job, container, evaluator and record spans under one trace id, parented across the processes", async () => {
    const { api, worker, url } = await startProcesses({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Sent in batches every 100 ms rather than 5 s: the test reads them soon after the run.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    assert.ok(api.lines.some((l) => l.message === 'tracing on' && l.endpoint === `${receiver.url}/v1/traces`));
    // A caller that traces its own work: the run's trace continues the caller's.
    const callerTrace = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const [run, continued, scored] = await Promise.all([
      submit(url, 'traced'),
      submit(url, 'traced-by-caller', { traceparent: `00-${callerTrace}-${callerSpan}-01` }),
      // A benchmark run: its score comes from the evaluator.
      submit(url, 'traced-benchmark', {}, { image: fixture('bm-honest'), benchmark: 'toy' }),
    ]);
    for (const r of [run, continued, scored]) {
      const done = await finished(url, r.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
    }
    // The job carries the producer span's context: that is what crosses from one process to the other.
    assert.match(String(((await jobTelemetry(run.id)) as { metadata?: string } | undefined)?.metadata), new RegExp(`"traceparent":"00-[0-9a-f]{32}-[0-9a-f]{16}-01"`));
    await stopGracefully(api, worker);

    const spansOf = (id: string): ExportedSpan[] => {
      const submitSpan = receiver.spans.find((s) => s.name === 'run.submit' && s.attributes['modelrun.run.id'] === id);
      assert.ok(submitSpan, `no run.submit span for run ${id}; got ${receiver.spans.map((s) => s.name).join(', ')}`);
      return receiver.spans.filter((s) => s.traceId === submitSpan.traceId);
    };
    const one = (spans: ExportedSpan[], name: string, where: string): ExportedSpan => {
      const found = spans.filter((s) => s.name === name);
      assert.equal(found.length, 1, `one ${name} span in the trace (${where}); the trace has ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`);
      return found[0]!;
    };

    const trace = spansOf(run.id);
    const submitSpan = one(trace, 'run.submit', 'API');
    assert.equal(submitSpan.service, 'modelrun-api');
    assert.equal(submitSpan.kind, KIND.server);
    assert.equal(submitSpan.parentSpanId, undefined, 'a submission without a traceparent starts its trace');
    assert.equal(submitSpan.attributes['modelrun.model.name'], 'traced');
    assert.equal(submitSpan.attributes['modelrun.image'], fixture('score-json'));
    assert.equal(submitSpan.attributes['modelrun.outcome'], 'queued');

    const add = one(trace, `add ${RUN_QUEUE}.run`, 'API, BullMQ');
    assert.equal(add.service, 'modelrun-api');
    assert.equal(add.kind, KIND.producer);
    assert.equal(add.parentSpanId, submitSpan.spanId, "queue.add's span is the submit's child");

    const job = one(trace, `process ${RUN_QUEUE}`, 'worker, BullMQ');
    assert.equal(job.service, 'modelrun-worker');
    assert.equal(job.kind, KIND.consumer);
    assert.equal(job.parentSpanId, add.spanId, "the worker's job span is the API's queue.add span's child, through the job");
    assert.equal(job.attributes['modelrun.run.id'], run.id);
    assert.equal(job.attributes['modelrun.model.name'], 'traced');
    assert.equal(job.attributes['modelrun.run.attempt'], 1);
    assert.equal(typeof job.attributes['modelrun.host.id'], 'string');
    assert.equal(job.attributes['modelrun.outcome'], 'succeeded');

    const create = one(trace, 'run.container.create', 'worker');
    const pull = one(trace, 'run.pull', 'worker');
    const container = one(trace, 'run.container', 'worker');
    const collect = one(trace, 'run.collect', 'worker');
    const record = one(trace, 'run.record', 'worker');
    for (const step of [create, container, collect, record]) {
      assert.equal(step.service, 'modelrun-worker');
      assert.equal(step.parentSpanId, job.spanId, `${step.name} is a step of the job`);
    }
    assert.equal(pull.parentSpanId, create.spanId, "the image's look-up is part of the container's create");
    assert.equal(pull.attributes['modelrun.image.pulled'], undefined, 'the fixture image was on the host: no pull');
    assert.equal(create.attributes['modelrun.container.id'], container.attributes['modelrun.container.id']);
    assert.equal(container.attributes['modelrun.container.exit_code'], 0);
    assert.equal(container.attributes['modelrun.outcome'], 'exited');
    assert.equal(record.attributes['modelrun.outcome'], 'succeeded');
    assert.equal(record.attributes['modelrun.record.pending'], false);

    // The caller's traceparent: the whole run, both processes, is in the caller's trace.
    const callers = spansOf(continued.id);
    assert.equal(callers[0]!.traceId, callerTrace);
    assert.equal(one(callers, 'run.submit', 'API').parentSpanId, callerSpan);
    assert.equal(one(callers, 'run.record', 'worker').service, 'modelrun-worker');

    // The benchmark run: the evaluator's step in place of the collect, a step of the job.
    const benchmarkTrace = spansOf(scored.id);
    const benchmarkJob = one(benchmarkTrace, `process ${RUN_QUEUE}`, 'worker, BullMQ');
    const evaluation = one(benchmarkTrace, 'run.evaluate', 'worker');
    assert.equal(evaluation.parentSpanId, benchmarkJob.spanId);
    assert.equal(evaluation.attributes['modelrun.benchmark'], 'toy');
    assert.equal(evaluation.attributes['modelrun.outcome'], 'succeeded');
    assert.equal(benchmarkTrace.filter((s) => s.name === 'run.collect').length, 0);
  });

  it('is on with only an endpoint set, and sends OTLP protobuf by default', async () => {
    const api = spawnApp('api', { ...stack.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    procs.push(api);
    const url = String((await api.waitForLog('api listening')).url);
    await submit(url, 'traced-protobuf');
    await stopGracefully(api);
    assert.ok(receiver.requests.length > 0, 'the API sent its spans');
    for (const r of receiver.requests) assert.match(r, /^POST \/v1\/traces application\/x-protobuf [1-9]\d*$/);
  });

  it('sends nothing and gives BullMQ no telemetry when tracing is off, even with an endpoint set', async () => {
    // Off by default (settings.test.ts); here switched off with the receiver's endpoint set.
    const { api, worker, url } = await startProcesses({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    const run = await submit(url, 'untraced');
    assert.equal((await finished(url, run.id)).status, 'succeeded');
    assert.equal(await jobTelemetry(run.id), undefined, 'no trace context in the job');
    await stopGracefully(api, worker);
    assert.ok(!api.lines.some((l) => l.message === 'tracing on'));
    assert.ok(!worker.lines.some((l) => l.message === 'tracing on'));
    assert.deepEqual(receiver.requests, []);
  });
});
