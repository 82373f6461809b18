import { createLogger, type Logger } from '@modelrun/logger';
import { type Tracing, startTracing } from '@modelrun/telemetry';
import { onTerminationSignals } from './shutdown';

/** A start-up failure whose message already says what to do: logged as it is, no stack. */
export class StartupError extends Error {
  override name = 'StartupError';
}

export interface ProcessSpec<C extends { log: { level: string; format: 'json' | 'pretty' } }> {
  /** `api`, `worker`: names the process in its logs and messages. */
  service: string;
  /** Parses the configuration; throws an error with `problems` (a ConfigError) on bad values. */
  loadConfig: () => C;
  start: (config: C, log: Logger) => Promise<{ close(reason?: string): Promise<void> }>;
}

/**
 * The life of a modelrun process: configuration (exit 2 when bad), a logger, start (exit 1 on
 * failure, saying why), then SIGTERM/SIGINT for an orderly shutdown.
 */
export async function runProcess<C extends { log: { level: string; format: 'json' | 'pretty' } }>(spec: ProcessSpec<C>): Promise<void> {
  let config: C;
  let tracing: Tracing;
  try {
    config = spec.loadConfig();
    // The standard OTEL_ variables, as any OpenTelemetry SDK reads them: off unless asked for.
    tracing = await startTracing(`modelrun-${spec.service}`, process.env);
  } catch (err) {
    if (err instanceof Error && 'problems' in err) {
      process.stderr.write(`modelrun ${spec.service}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ service: spec.service, level: config.log.level, format: config.log.format });
  if (tracing.settings.on) log.info('tracing on', { exporters: tracing.settings.exporters, protocol: tracing.settings.protocol, endpoint: tracing.settings.endpoint });
  try {
    const started = await spec.start(config, log);
    // The last spans (the shutdown's own included) are sent before the process exits.
    onTerminationSignals(log, (signal) => started.close(signal).finally(() => tracing.shutdown()));
  } catch (err) {
    log.error(err instanceof StartupError ? err.message : `${spec.service} failed to start`, { error: (err as Error).message });
    process.exit(1);
  }
}
