export * from './protocol-ids.ts';
export * from './heartbeat.ts';
