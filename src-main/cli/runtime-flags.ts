// The V8 flags and environment an OpenGateway node process is started with, defined in plain JavaScript in
// node-memory-settings.js (the `opengateway-node` launcher reads them before any TypeScript could load).
export { NODE_MEMORY_ENV, NODE_MEMORY_FLAGS } from './node-memory-settings.js';
