export * from './region-id.ts';
export * from './country-region.ts';
