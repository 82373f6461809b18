export * from './atomic';
export * from './layout';
export * from './records';
