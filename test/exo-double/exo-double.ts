#!/usr/bin/env node
// The EXO double: a stand-in for the `exo` command that serves EXO's HTTP API with EXO's real shapes and
// produces deterministic text, for tests and developer networks. It is a simulator, never real inference.
//
//   node test/exo-double/exo-double.ts [EXO flags…] [--double-<option> value…]
//   EXO_DOUBLE_<OPTION>=value test/exo-double/bin/exo [EXO flags…]
//
// EXO flags are parsed as the imitated generation's argparse would (--double-generation, default zenoh);
// `--help` prints that generation's help. Double options are listed in double-options.ts; faults: start
// slowly, crash after a time or mid-stream, hang (ignore SIGTERM, keep a runner child, stop answering),
// refuse or drop placements, fail a runner, send malformed SSE.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChatCompletions, crash } from './chat-completions.ts';
import { parseDoubleOptions } from './double-options.ts';
import { createExoApiServer, createLegacyApiServer } from './exo-api-server.ts';
import { ArgparseError, helpText, parseExoArgs, type ExoCliArgs } from './exo-cli.ts';
import { exoLog } from './exo-log.ts';
import { SimulatedCluster } from './simulated-cluster.ts';

const { options, exoArgs } = parseDoubleOptions(process.argv.slice(2), process.env);

if (options.exitWithParent) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 500).unref();
}

if (exoArgs.includes('-h') || exoArgs.includes('--help')) {
  process.stdout.write(helpText(options.generation));
  process.exit(0);
}

let args: ExoCliArgs;
try {
  args = parseExoArgs(options.generation, exoArgs);
} catch (error) {
  if (!(error instanceof ArgparseError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

if (options.generation === 'legacy') {
  const server = createLegacyApiServer();
  server.listen(args.apiPort, options.host, () =>
    process.stderr.write(`ChatGPT API listening on port ${args.apiPort}\n`),
  );
  process.on('SIGTERM', () => process.exit(0));
} else {
  await runRewrite();
}

async function runRewrite(): Promise<void> {
  const exoHome = process.env.EXO_HOME;
  // At HEAD these variables are fatal at start-up (src/exo/main.py); the supervisor must never set them.
  if (options.generation === 'zenoh') {
    if (process.env.EXO_LIBP2P_NAMESPACE !== undefined) {
      fatalValueError('EXO_LIBP2P_NAMESPACE has been removed - use EXO_ZENOH_NAMESPACE instead');
    }
    if (args.bootstrapPeers !== null || process.env.EXO_BOOTSTRAP_PEERS !== undefined) {
      fatalValueError('Bootstrap peers has been temporarily removed');
    }
  }
  const start = countStart(exoHome);
  const faulty = options.faultStarts === null || options.faultStarts.has(start);
  if (exoHome !== undefined && options.generation === 'zenoh') lockPidFile(exoHome);

  exoLog('INFO', 'Starting EXO');
  const cluster = new SimulatedCluster(
    options,
    {
      refusePlacement: faulty && options.refusePlacement,
      dropPlacement: faulty && options.dropPlacement,
      runnerFail: faulty ? options.runnerFail : null,
    },
    args.apiPort,
    Number(process.env.OVERRIDE_MEMORY_MB ?? options.ramMb),
  );
  exoLog('INFO', `Starting node ${cluster.localNodeId}`);
  if (options.generation === 'zenoh') {
    exoLog('INFO', `EXO_ZENOH_NAMESPACE: ${process.env.EXO_ZENOH_NAMESPACE ?? 'None'}`);
    exoLog(
      'INFO',
      `Using namespace ${args.namespace ?? '0.3.70'} (zenoh port ${args.zenohPort ?? 52414}, discovery port ${args.discoveryPort ?? 52413})`,
    );
  } else {
    exoLog('INFO', `Using libp2p namespace ${process.env.EXO_LIBP2P_NAMESPACE ?? 'v0.0.1'}`);
  }
  for (const topic of ['global_events', 'local_events', 'commands', 'election_messages']) {
    exoLog('INFO', `Subscribed to ${topic}`);
  }
  exoLog('INFO', 'Node elected Master - promoting self');

  let runner: ChildProcess | null = null;
  if (faulty && options.hang) {
    runner = spawn(process.execPath, [join(import.meta.dirname, 'runner-child.ts')], { stdio: 'ignore' });
    exoLog('INFO', `Runner process started (pid ${runner.pid})`);
  }

  let apiUpAt: number | null = null;
  const hung = () =>
    faulty &&
    options.hangApiAfterMs !== null &&
    apiUpAt !== null &&
    Date.now() - apiUpAt >= options.hangApiAfterMs;
  const chat = new ChatCompletions(cluster, options, {
    appliesTo: (ordinal) => faulty && (options.faultRequests === null || options.faultRequests.has(ordinal)),
  });
  const server = createExoApiServer({
    cluster,
    chat,
    hung,
    info: () => ({
      pid: process.pid,
      runnerPid: runner?.pid ?? null,
      start,
      generation: options.generation,
      args,
    }),
  });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (faulty && options.hang) {
      exoLog('WARNING', `Received ${signal}; a generation is stuck, not shutting down`);
      return;
    }
    if (signals > 1) process.exit(1);
    exoLog('INFO', `Received ${signal}, shutting down`);
    void (async () => {
      await sleep(options.shutdownMs);
      server.close();
      server.closeAllConnections();
      releasePidFile(exoHome);
      exoLog('INFO', 'EXO Shutdown complete');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  if (args.noApi) return;
  // EXO prints this before hypercorn binds: it is not a readiness signal.
  exoLog('INFO', `Dashboard & API Ready at http://localhost:${args.apiPort}`);
  if (options.startDelayMs > 0) await sleep(options.startDelayMs);
  server.once('error', (error: NodeJS.ErrnoException) => {
    exoLog(
      'ERROR',
      `[Errno ${error.code}] error while attempting to bind on address ('0.0.0.0', ${args.apiPort}): address already in use`,
    );
    exoLog('CRITICAL', 'EXO terminated due to unhandled exception');
    process.exit(1);
  });
  server.listen(args.apiPort, options.host, () => {
    apiUpAt = Date.now();
    exoLog('INFO', `Running on http://0.0.0.0:${args.apiPort} (CTRL + C to quit)`);
    if (options.preplace !== null) preplace(cluster, options.preplace);
  });
  if (faulty && options.crashAfterMs !== null) {
    setTimeout(() => crash('the event loop'), options.startDelayMs + options.crashAfterMs);
  }
}

function preplace(cluster: SimulatedCluster, modelId: string): void {
  const preview = cluster.previews(modelId, []).find((candidate) => candidate.error === null);
  if (preview) cluster.createInstance(preview.instance);
}

function fatalValueError(message: string): never {
  exoLog('CRITICAL', `EXO terminated due to unhandled exception`);
  process.stderr.write(`ValueError: ${message}\n`);
  process.exit(1);
}

/** Starts are counted in EXO_HOME so faults can target the first start, or every one. */
function countStart(exoHome: string | undefined): number {
  if (exoHome === undefined) return 1;
  mkdirSync(exoHome, { recursive: true });
  const file = join(exoHome, 'exo-double-starts');
  let count = 0;
  try {
    count = Number(readFileSync(file, 'utf8')) || 0;
  } catch {
    // first start
  }
  writeFileSync(file, String(count + 1));
  return count + 1;
}

/** EXO's PID lock (EXO_CACHE_HOME/exo.pid, after v1.0.71): a second EXO on one home exits 1. */
function lockPidFile(exoHome: string): void {
  const file = join(exoHome, 'exo.pid');
  try {
    const holder = Number(readFileSync(file, 'utf8'));
    if (holder > 0 && holder !== process.pid) {
      process.kill(holder, 0);
      exoLog('ERROR', `Another EXO process (pid ${holder}) holds ${file}`);
      process.exit(1);
    }
  } catch {
    // no lock file, or its holder is gone: take it
  }
  writeFileSync(file, String(process.pid));
}

function releasePidFile(exoHome: string | undefined): void {
  if (exoHome !== undefined) rmSync(join(exoHome, 'exo.pid'), { force: true });
}
