export * from './run/processor';
export * from './reconciler';
export * from './worker';
