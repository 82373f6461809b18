export * from './program';
export * from './errors';
export * from './limits-flags';
export * from './validate/report';
export * from './validate/validate';
export { phaseOf } from './commands/watch';
export { ProgressLine } from './output/progress';
