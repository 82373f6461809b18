export * from './address-guard';
export * from './deliver';
export * from './delivery';
export * from './event';
export * from './metrics';
export * from './producer';
export * from './sign';
