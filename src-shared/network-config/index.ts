export * from './errors.ts';
export * from './hex.ts';
export * from './network-config.ts';
export * from './signed-network-config.ts';
export * from './model-catalog.ts';
export * from './served-tiers.ts';
export * from './file-cid.ts';
