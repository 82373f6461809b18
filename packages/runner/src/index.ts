export * from './archive';
export * from './classify';
export * from './docker-client';
export * from './docker-runner';
export * from './errors';
export * from './log-tail';
export * from './model-runner';
export * from './sandbox';
