// The benchmarks' engine: the EXO double as a real child process with one model placed, and an EXO engine
// attached to it (as to the EXO app). The double exits with this process whatever happens.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitForEngineState } from '../src-main/node/engine/engine.ts';
import { ExoEngine } from '../src-main/node/engine/exo/exo-engine.ts';
import { freeLoopbackPort } from '../src-main/node/net/free-loopback-port.ts';

export interface AttachedDouble {
  readonly url: string;
  readonly engine: ExoEngine;
  readonly stop: () => Promise<void>;
}

/** Starts the double (tokenRate 0: as fast as it can) and returns a ready engine attached to it. */
export async function startAttachedDouble(model: string, tokenRate: number): Promise<AttachedDouble> {
  const port = await freeLoopbackPort();
  const double = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      join(import.meta.dirname, '..', 'test', 'exo-double', 'exo-double.ts'),
      ...['--api-port', String(port), '--double-preplace', model, '--double-token-rate', String(tokenRate)],
      ...['--double-load-step-ms', '5', '--double-exit-with-parent'],
    ],
    { stdio: 'ignore' },
  );
  process.on('exit', () => double.kill('SIGKILL'));
  const engine = new ExoEngine({ modelId: model, apiPort: port, attach: 'only', pollIntervalMs: 50 });
  const stop = async () => {
    await engine.stop();
    double.kill('SIGKILL');
  };
  try {
    await engine.start();
    await waitForEngineState(engine, (state) => state.status === 'ready', {
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, engine, stop };
}
