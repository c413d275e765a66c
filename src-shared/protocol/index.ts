export * from './protocol-ids.ts';
export * from './engine-state.ts';
