export * from './shutdown';
export * from './startup';
