// V8 flags the headless node is started with (bench/footprint.ts measures them). V8's young generation
// grows to 3 × 16 MB semi-spaces on 64-bit and never gives the pages back; an idle node keeps ~30 MB of RSS
// there for nothing. 2 MB semi-spaces cost more frequent (cheap) scavenges under load instead.
/** Flags for `node` when it runs an OpenGateway node process (devnet, npm run node, bench). */
export const NODE_MEMORY_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
