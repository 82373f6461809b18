export * from './run-index';
export * from './scan';
export * from './benchmark-boards';
export * from './index-sync';
export { SnapshotError } from './snapshot-format';
