/**
 * Whether this process traces, read from the standard OpenTelemetry variables. Off unless the
 * operator asks: `OTEL_TRACES_EXPORTER=otlp` (or `console`), or an OTLP endpoint set
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) with no exporter named.
 * `OTEL_SDK_DISABLED=true` and `OTEL_TRACES_EXPORTER=none` turn it off whatever else is set.
 * The rest (endpoint, headers, timeout, compression, sampler, batching, resource attributes) is
 * read by the SDK itself, as every OpenTelemetry SDK reads it.
 */
export type TracingSettings =
  | { on: false; why: string }
  | {
      on: true;
      exporters: TraceExporterName[];
      /** How spans go to the collector (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL). */
      protocol: OtlpProtocol;
      /** Where, for the start-up log line (the exporter resolves it the same way). */
      endpoint: string;
    };

export type TraceExporterName = 'otlp' | 'console';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** A bad OTEL_ value: `problems` says which, as the project's ConfigError does (the process exits 2). */
export class TracingConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TracingConfigError';
  }
}

/** The OTLP/HTTP default: a collector on this host. */
const DEFAULT_ENDPOINT = 'http://localhost:4318';

export function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings {
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  if (get('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { on: false, why: 'OTEL_SDK_DISABLED=true' };
  const tracesEndpoint = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  const named = get('OTEL_TRACES_EXPORTER');
  const problems: string[] = [];
  let exporters: TraceExporterName[];
  if (named === undefined) {
    if (!tracesEndpoint && !baseEndpoint) return { on: false, why: 'no OTEL_TRACES_EXPORTER and no OTLP endpoint set' };
    exporters = ['otlp'];
  } else {
    const names = named
      .split(',')
      .map((n) => n.trim().toLowerCase())
      .filter(Boolean);
    if (names.includes('none')) return { on: false, why: 'OTEL_TRACES_EXPORTER=none' };
    const unknown = names.filter((n) => n !== 'otlp' && n !== 'console');
    if (unknown.length) problems.push(`OTEL_TRACES_EXPORTER: ${unknown.join(', ')} is not supported here; use otlp, console or none`);
    exporters = [...new Set(names.filter((n): n is TraceExporterName => n === 'otlp' || n === 'console'))];
  }
  const protocolVar = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = get(protocolVar) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    problems.push(`${protocolVar}: ${protocol} is not supported here; use http/protobuf or http/json (a collector's OTLP/HTTP port, 4318 by default)`);
  }
  for (const [name, value] of [
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', baseEndpoint],
  ] as const) {
    if (value !== undefined && !/^https?:\/\/[^/]/.test(value)) problems.push(`${name}: expected an http:// or https:// URL, got ${JSON.stringify(value)}`);
  }
  if (problems.length) throw new TracingConfigError(problems);
  // As the exporter resolves it: the traces endpoint as given, or the base one plus /v1/traces.
  const endpoint = tracesEndpoint ?? `${(baseEndpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
  return { on: true, exporters, protocol: protocol as OtlpProtocol, endpoint };
}
