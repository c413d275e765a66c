// V8 flags the headless node is started with (bench/footprint.ts measures them). V8's young generation
// grows to 3 × 16 MB semi-spaces on 64-bit and never gives the pages back; an idle node keeps ~30 MB of RSS
// there for nothing. 2 MB semi-spaces cost more frequent (cheap) scavenges under load instead.
/** Flags for `node` when it runs an OpenGateway node process (devnet, npm run node, npm start, bench). */
export const NODE_MEMORY_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

// glibc's malloc gives every thread that allocates its own arena (up to 8 per core), and freed memory stays
// in them: libuv's and V8's worker threads leave 15–25 MB of RSS in arenas of an idle node (measured with
// bench/footprint.ts). Two arenas are plenty for a node's few busy threads. glibc reads this at process
// start only, so it goes into the environment of the process being launched; other C libraries ignore it.
// MALLOC_TRIM_THRESHOLD_ is glibc's own default (128 KiB), but setting it pins both thresholds: otherwise glibc
// raises them (up to 32 MB) each time a large mmap'd block is freed, and from then on large blocks come from
// the heap and what is freed there stays in the process. Pinned, blocks ≥ 128 KiB come from and
// go back to the kernel, and the heap's free top is returned: 10–20 MB less RSS for an idle node
// (bench/footprint.ts), for an mmap/munmap per large block.
/** Environment for an OpenGateway node process (devnet, npm start, bench), added to the inherited one. */
export const NODE_MEMORY_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: '131072',
};
