export * from './run-index';
export * from './scan';
export * from './benchmark-boards';
