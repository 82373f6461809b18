export * from './run-index';
export * from './scan';
export * from './benchmark-boards';
export * from './index-sync';
export { SnapshotError, TIMESTAMP_PATTERN } from './snapshot-format';
