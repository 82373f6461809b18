export * from './load';
export * from './client';
