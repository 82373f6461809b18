import type { Telemetry } from 'bullmq';
import { type TracingSettings, tracingSettings } from './settings';

export interface Tracing {
  settings: TracingSettings;
  /** Sends what is buffered and stops (a no-op when off). */
  shutdown(): Promise<void>;
}

/** The longest a shutdown waits for the last spans to be sent. */
const SHUTDOWN_MS = 5_000;

/** BullMQ's telemetry for this process's queues and workers, once tracing has started. */
let bullmq: Telemetry | undefined;

/**
 * Starts tracing for this process when the OTEL_ variables ask for it (settings.ts), else
 * leaves the OpenTelemetry API's no-op tracer in place: no SDK is loaded, and spans cost a
 * function call each. Call once, before the queues and workers are made (they read
 * queueTelemetry() when built). Throws TracingConfigError on a bad OTEL_ value.
 */
export async function startTracing(serviceName: string, env: NodeJS.ProcessEnv): Promise<Tracing> {
  const settings = tracingSettings(env);
  if (!settings.on) return { settings, shutdown: async () => undefined };
  // Loaded only when on: a process that does not trace never loads the SDK.
  const [{ NodeTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor }, { resourceFromAttributes, detectResources, envDetector }, { BullMQOtel }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    import('bullmq-otel'),
  ]);
  const processors = [];
  if (settings.exporters.includes('otlp')) {
    // Both exporters read the endpoint, headers, timeout and compression from the OTEL_ variables.
    const exporter =
      settings.protocol === 'http/json'
        ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter()
        : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
    // Batched (OTEL_BSP_* tune it): exporting never waits on a request or a run.
    processors.push(new BatchSpanProcessor(exporter));
  }
  if (settings.exporters.includes('console')) processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
  const resource = resourceFromAttributes({ 'service.name': serviceName, 'service.instance.id': `${process.pid}` }).merge(detectResources({ detectors: [envDetector] }));
  // The sampler comes from OTEL_TRACES_SAMPLER (parent-based, always on, by default).
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  // AsyncLocalStorage context and the W3C traceparent propagator, which BullMQ's metadata uses.
  provider.register();
  bullmq = new BullMQOtel({ tracerName: 'bullmq' }) as unknown as Telemetry;
  return {
    settings,
    shutdown: async () => {
      bullmq = undefined;
      // A collector that does not answer must not hold the process past its shutdown.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([provider.shutdown(), new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_MS)))]).finally(() => clearTimeout(timer));
    },
  };
}

/** The `telemetry` option for a BullMQ Queue or Worker: empty (no tracing in BullMQ at all) when off. */
export function queueTelemetry(): { telemetry?: Telemetry } {
  return bullmq ? { telemetry: bullmq } : {};
}
