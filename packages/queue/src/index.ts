export * from './job-options';
export * from './persistence';
export * from './queues';
export * from './redis';
export * from './ready';
export * from './replication';
export * from './routing';
export * from './priority';
