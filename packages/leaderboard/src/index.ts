export * from './run-index';
export * from './scan';
