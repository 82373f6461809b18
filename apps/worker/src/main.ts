import { ConfigError, loadWorkerConfig } from '@modelrun/config';
import { onTerminationSignals } from '@modelrun/lifecycle';
import { createLogger } from '@modelrun/logger';
import { StartupError, startWorker } from './worker';

async function main(): Promise<void> {
  let config;
  try {
    config = loadWorkerConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`modelrun worker: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ service: 'worker', level: config.log.level, format: config.log.format });
  try {
    const started = await startWorker(config, log);
    onTerminationSignals(log, (signal) => started.close(signal));
  } catch (err) {
    log.error(err instanceof StartupError ? err.message : 'worker failed to start', { error: (err as Error).message });
    process.exit(1);
  }
}

void main();
