export * from './errors';
export * from './image-ref';
export * from './limits';
export * from './model-name';
export * from './queue';
export * from './run';
export * from './run-id';
export * from './score';
