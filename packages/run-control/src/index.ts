export * from './run-control';
export * from './ownership';
export * from './quotas';
export * from './pending-outcomes';
export * from './fleet-registry';
export * from './fair-share';
export * from './board-state';
