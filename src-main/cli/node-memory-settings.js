// How an OpenGateway node process is started for a small footprint (issue 17 item 4; bench/footprint.ts
// measures it). Plain JavaScript because the `opengateway-node` launcher (scripts/opengateway-node.js) reads
// it before anything else, and a .ts file would load Node's TypeScript stripper (~15 MB) into every node.
// Types: node-memory-settings.d.ts. The rest of the code imports these through runtime-flags.ts.

// V8's young generation grows to 3 × 16 MB semi-spaces on 64-bit and never gives the pages back; an idle node
// keeps ~30 MB of RSS there for nothing. 2 MB semi-spaces cost more frequent (cheap) scavenges under load.
/** Flags for `node` when it runs an OpenGateway node process (devnet, npm run node, npm start, bench). */
export const NODE_MEMORY_FLAGS = Object.freeze(['--max-semi-space-size=2']);

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
export const NODE_MEMORY_ENV = Object.freeze({
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: '131072',
});

/** Set in the environment of a launcher that re-executed itself: it never does so twice. */
export const RELAUNCHED_ENV = 'OPENGATEWAY_NODE_RELAUNCHED';

/**
 * What the launcher must re-execute itself with so that the node runs with NODE_MEMORY_FLAGS and (on Linux,
 * where glibc reads it) NODE_MEMORY_ENV, or null when nothing is missing. A flag or variable the user set
 * (any value, on the command line or in NODE_OPTIONS) counts as there. Never with an IPC channel (exec would
 * close it) and never twice.
 */
export function memoryRelaunch({ execPath, execArgv, argv, env, platform, hasIpcChannel }) {
  if (hasIpcChannel || env[RELAUNCHED_ENV] !== undefined) return null;
  const nodeOptions = env.NODE_OPTIONS ?? '';
  const given = (name) =>
    execArgv.some((arg) => arg === name || arg.startsWith(`${name}=`)) || nodeOptions.includes(name);
  const flags = NODE_MEMORY_FLAGS.filter((flag) => !given(flag.split('=')[0]));
  const variables =
    platform === 'linux' ? Object.entries(NODE_MEMORY_ENV).filter(([name]) => env[name] === undefined) : [];
  if (flags.length === 0 && variables.length === 0) return null;
  return {
    file: execPath,
    args: [execPath, ...execArgv, ...flags, ...argv.slice(1)],
    env: { ...env, ...Object.fromEntries(variables), [RELAUNCHED_ENV]: '1' },
  };
}

/**
 * Re-executes this process (same pid, same stdio) with the missing memory settings, if any are missing and
 * the platform can (process.execve: POSIX, Node ≥ 22.15). Returns only when it did not: 'not needed',
 * 'unavailable' (no execve here) or why re-executing failed.
 */
export function relaunchWithMemorySettings(proc = process) {
  const plan = memoryRelaunch({
    execPath: proc.execPath,
    execArgv: proc.execArgv,
    argv: proc.argv,
    env: proc.env,
    platform: proc.platform,
    hasIpcChannel: proc.channel !== undefined,
  });
  if (plan === null) return 'not needed';
  if (typeof proc.execve !== 'function') return 'unavailable';
  try {
    proc.execve(plan.file, plan.args, plan.env);
  } catch (error) {
    return `re-executing failed (${error instanceof Error ? error.message : String(error)})`;
  }
  return 're-executing failed (execve returned)';
}
