export * from './load';
export * from './client';
export * from './redis-target';
export * from './benchmarks';
export * from './token-strength';
export type { OidcConfig, OidcRole } from './oidc';
