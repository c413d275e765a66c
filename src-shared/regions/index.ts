export * from './region-id.ts';
export * from './country-region.ts';
export * from './region-decision.ts';
