export * from './resource-profile.ts';
export * from './tier-spec.ts';
export * from './nominal-size.ts';
export * from './machine-sizes.ts';
export * from './qualify.ts';
export * from './tier-models.ts';
export * from './tier-plan.ts';
export * from './model-size.ts';
