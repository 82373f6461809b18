export * from './atomic';
export * from './layout';
export * from './records';
export * from './results';
export * from './rescored-record';
