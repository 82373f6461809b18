export * from './processor';
export * from './reconciler';
export * from './worker';
