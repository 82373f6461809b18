export * from './args';
export * from './report';
export * from './validate';
