export * from './run-index';
export * from './scan';
export * from './benchmark-boards';
export * from './volume-sync';
export { SnapshotError, TIMESTAMP_PATTERN } from './snapshot-format';
export * from './phase-boards';
export * from './board-rules';
export * from './evaluator-marks';
