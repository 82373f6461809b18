import { ConfigError, loadApiConfig } from '@modelrun/config';
import { onTerminationSignals } from '@modelrun/lifecycle';
import { createLogger } from '@modelrun/logger';
import { StartupError, startApi } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadApiConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`modelrun api: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ service: 'api', level: config.log.level, format: config.log.format });
  try {
    const api = await startApi(config, log);
    onTerminationSignals(log, (signal) => api.close(signal));
  } catch (err) {
    log.error(err instanceof StartupError ? err.message : 'api failed to start', { error: (err as Error).message });
    process.exit(1);
  }
}

void main();
