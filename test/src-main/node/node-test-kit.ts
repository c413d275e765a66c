// What tests of a whole node in the test process share: waiting for a report to change, and a network whose
// tier model-a is the generated tiny model, served by a real HTTP mirror on 127.0.0.1.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initNetwork } from '../../../src-main/node/network-config/init-network.ts';
import { fileCid } from '../../../src-main/node/weights/file-dag.ts';
import { testModelContextLength, testModelId, writeTestModel } from '../../model-gen/write-test-model.ts';
import type { FileBehaviour, ModelFileServer } from './models/model-file-server.ts';

/** Polls `check` every 50 ms; throws naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface TinyModelNetworkOptions {
  /** How the mirror behaves for the file (down, cut, corrupt…). */
  readonly mirror?: FileBehaviour;
  /** Put the file's content id in the catalog, so peers can serve it. */
  readonly withCid?: boolean;
}

export interface TinyModelNetwork {
  readonly configPath: string;
  /** The model file's bytes, as the mirror serves them at `/tiny.gguf`. */
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly sizeBytes: number;
  /** Its content id (in the catalog only `withCid`). */
  readonly cid: string;
}

/**
 * Writes the tiny model under `root`, serves it from `server` (started here) and initialises a one-founder
 * network in `root/net` whose model-a is that file for the built-in engine (and nothing for EXO).
 */
export async function tinyModelNetwork(
  root: string,
  server: ModelFileServer,
  options: TinyModelNetworkOptions = {},
): Promise<TinyModelNetwork> {
  const modelPath = join(root, 'og-test-tiny.gguf');
  const { sha256, sizeBytes } = await writeTestModel(modelPath, { shape: 'tiny' });
  const bytes = new Uint8Array(await readFile(modelPath));
  const cid = await fileCid(modelPath);
  server.serve('/tiny.gguf', bytes, options.mirror ?? {});
  const base = await server.start();
  const file = {
    name: 'og-test-tiny.gguf',
    urls: [`${base}/tiny.gguf`],
    sizeBytes,
    sha256,
    ...(options.withCid ? { cid } : {}),
  };
  const { configPath } = await initNetwork({
    outDir: join(root, 'net'),
    founders: 1,
    catalog: {
      tiers: {
        'model-a': {
          engineModels: {
            exo: 'none',
            builtin: {
              format: 'gguf',
              id: testModelId('tiny'),
              quantization: 'F32',
              contextLength: testModelContextLength('tiny'),
              memoryBytes: sizeBytes * 8,
              files: [file],
            },
          },
        },
      },
    },
  });
  return { configPath, bytes, sha256, sizeBytes, cid };
}
