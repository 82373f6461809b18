import { createLogger, type Logger } from '@modelrun/logger';

/** Silent unless MODELRUN_TEST_LOGS=1 (then pretty, at debug), so failures can be read. */
export function testLogger(service: string): Logger {
  const show = process.env.MODELRUN_TEST_LOGS === '1';
  return createLogger({ service, level: show ? 'debug' : 'error', format: 'pretty', silent: !show });
}
