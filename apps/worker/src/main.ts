import { loadWorkerConfig } from '@modelrun/config';
import { runProcess } from '@modelrun/lifecycle';
import { startWorker } from './worker';

void runProcess({ service: 'worker', loadConfig: () => loadWorkerConfig(process.env), start: startWorker });
