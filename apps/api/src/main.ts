import { loadApiConfig } from '@modelrun/config';
import { runProcess } from '@modelrun/lifecycle';
import { startApi } from './server';

void runProcess({ service: 'api', loadConfig: () => loadApiConfig(process.env), start: startApi });
