export * from './run-control';
