export * from './run-control';
export * from './ownership';
export * from './quotas';
