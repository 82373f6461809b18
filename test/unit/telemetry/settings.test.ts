import assert from 'node:assert/strict';
import { TracingConfigError, inSpan, tracingSettings } from '@modelrun/telemetry';

describe('tracing settings (the OTEL_ variables)', () => {
  it('is off by default', () => {
    assert.deepEqual(tracingSettings({}), { on: false, why: 'no OTEL_TRACES_EXPORTER and no OTLP endpoint set' });
  });

  it('is on with an OTLP endpoint, over http/protobuf to <endpoint>/v1/traces', () => {
    assert.deepEqual(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }), {
      on: true,
      exporters: ['otlp'],
      protocol: 'http/protobuf',
      endpoint: 'http://collector:4318/v1/traces',
    });
  });

  it('is on with OTEL_TRACES_EXPORTER=otlp, to a collector on this host', () => {
    const s = tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    assert.deepEqual(s, { on: true, exporters: ['otlp'], protocol: 'http/json', endpoint: 'http://localhost:4318/v1/traces' });
  });

  it('takes the traces-only endpoint and protocol as given, before the general ones', () => {
    const s = tracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b.example/otlp/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    });
    assert.deepEqual(s, { on: true, exporters: ['otlp'], protocol: 'http/json', endpoint: 'https://b.example/otlp/traces' });
  });

  it('is off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, whatever else is set', () => {
    assert.equal(tracingSettings({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }).on, false);
    assert.equal(tracingSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318' }).on, false);
  });

  it('takes a list of exporters', () => {
    const s = tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp, console' });
    assert.ok(s.on);
    assert.deepEqual(s.exporters, ['otlp', 'console']);
  });

  it('refuses what it cannot do, saying which variable and what to use', () => {
    const problems = (env: NodeJS.ProcessEnv): string[] => {
      try {
        tracingSettings(env);
      } catch (err) {
        assert.ok(err instanceof TracingConfigError);
        return err.problems;
      }
      return [];
    };
    assert.deepEqual(problems({ OTEL_TRACES_EXPORTER: 'zipkin' }), ['OTEL_TRACES_EXPORTER: zipkin is not supported here; use otlp, console or none']);
    assert.match(
      problems({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })[0] ?? '',
      /^OTEL_EXPORTER_OTLP_PROTOCOL: grpc is not supported here; use http\/protobuf or http\/json/,
    );
    assert.match(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })[0] ?? '', /^OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:\/\/ or https:\/\/ URL/);
  });
});

describe('spans while tracing is off', () => {
  it("runs the step and hands back its value or its error, with the API's non-recording span", async () => {
    assert.equal(
      await inSpan('step', { a: 1 }, async (span) => {
        assert.equal(span.isRecording(), false);
        return 42;
      }),
      42,
    );
    await assert.rejects(
      inSpan('step', {}, () => Promise.reject(new Error('boom'))),
      /boom/,
    );
  });
});
