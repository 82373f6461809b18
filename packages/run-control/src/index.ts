export * from './run-control';
export * from './ownership';
