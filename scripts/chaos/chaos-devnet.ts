// A devnet in network namespaces, shared by the chaos run and the soak: node 0 is the bootstrap/relay and the
// requester (it serves nothing, so every reply it gets is paid), nodes 1…N are workers of asia/model-a, on the
// built-in llama.cpp with the generated tiny model (real inference), or on the EXO double (a SIMULATED engine)
// when asked. Identities, data folders and the signed network config as scripts/devnet.ts makes them; each
// node its own simulated machine.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { loadOrCreateNodeKey } from '../../src-main/node/identity/node-key.ts';
import { locationsFor } from '../../src-main/node/locations.ts';
import { initNetwork } from '../../src-main/node/network-config/init-network.ts';
import { writeFirstRun } from '../../src-main/node/onboarding/first-run-record.ts';
import { ensureDataDir } from '../../src-main/node/storage/data-dir.ts';
import { ModelCache } from '../../src-main/node/models/model-cache.ts';
import type { GgufModel } from '../../src-shared/network-config/index.ts';
import { tinyModelCatalog, writeTinyTestModel } from '../test-model-catalog.ts';
import { ChaosNet, chaosIp } from './chaos-net.ts';
import { ChaosNode } from './chaos-node.ts';
import { chatOnce, type ChatOutcome } from './chat-stream.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SIMULATED_EXO = join(ROOT, 'test', 'exo-double', 'bin', 'exo');
const P2P_PORT = 4001;

export interface ChaosDevnet {
  readonly net: ChaosNet;
  readonly root: string;
  /** Node 0 first (the requester), then the workers. */
  readonly nodes: readonly ChaosNode[];
  readonly requester: ChaosNode;
  readonly workers: readonly ChaosNode[];
  /** Stops every node (SIGTERM, then SIGKILL), removes the namespaces and (unless kept) the folder. */
  destroy(options?: { keep?: boolean }): Promise<void>;
}

/** What the workers run: llama.cpp on the generated model, or the EXO double at `tokenRate`. */
export type ChaosEngine = 'builtin' | 'exo-double';

export async function createChaosDevnet(options: {
  readonly workers: number;
  /** The EXO double's tokens per second (unused by the built-in engine). */
  readonly tokenRate: number;
  readonly prefix: string;
  readonly engine: ChaosEngine;
}): Promise<ChaosDevnet> {
  const root = await mkdtemp(join(tmpdir(), `og-${options.prefix}-`));
  const net = new ChaosNet(1 + options.workers);
  const nodes: ChaosNode[] = [];
  const destroy = async (how: { keep?: boolean } = {}) => {
    await Promise.allSettled(nodes.map((node) => node.stop(5_000)));
    await Promise.allSettled(nodes.map((node) => node.stopForwarder()));
    net.destroy();
    if (!how.keep) await rm(root, { recursive: true, force: true });
  };
  try {
    const members = await Promise.all(
      Array.from({ length: 1 + options.workers }, async (_, index) => {
        const name = index === 0 ? 'bootstrap' : `worker-${index}`;
        const dataDir = join(root, name);
        await ensureDataDir(dataDir);
        await writeFirstRun(dataDir, true);
        const { privateKey } = await loadOrCreateNodeKey(locationsFor(dataDir).identityKey);
        return { name, dataDir, peerId: peerIdFromPrivateKey(privateKey).toString() };
      }),
    );
    const model = options.engine === 'builtin' ? await workerModel(root) : null;
    const network = await initNetwork({
      outDir: join(root, 'network'),
      founders: 1,
      threshold: 1,
      bootstrap: [`/ip4/${chaosIp(0)}/tcp/${P2P_PORT}/p2p/${members[0]!.peerId}`],
      networkId: `${options.prefix}-${Date.now().toString(36)}`,
      genesis: members.map((member) => ({ account: member.peerId, amount: 1_000_000 })),
      ...(model ? { catalog: model.catalog } : {}),
    });
    if (model)
      await Promise.all(members.slice(1).map((member) => placeModel(member.dataDir, model.file, model.path)));
    const env = {
      // The namespaces are the run's own: not local-only, but never a lookup of the default network's names.
      OPENGATEWAY_LOCAL_ONLY: '0',
      OPENGATEWAY_NO_NAME_RESOLUTION: '1',
      EXO_DOUBLE_NODE: process.execPath,
      EXO_DOUBLE_TOKEN_RATE: String(options.tokenRate),
      EXO_DOUBLE_LOAD_STEP_MS: '20',
    };
    members.forEach((member, index) => {
      const common = [
        '--network-config', network.configPath, '--heartbeat-ms', '1000', '--simulated-machine', member.name,
        '--listen', `/ip4/${chaosIp(index)}/tcp/${P2P_PORT}`, '--region', 'asia',
      ]; // prettier-ignore
      const engine =
        options.engine === 'builtin'
          ? // One llama.cpp thread per worker: five nodes share two cores.
            ['--engine', 'builtin', '--engine-threads', '1', '--engine-cpu-only']
          : ['--exo-path', SIMULATED_EXO, '--simulated-engine'];
      const role = index === 0 ? ['--relay'] : ['--serve-tier', 'model-a', '--capacity', '2', ...engine];
      nodes.push(
        new ChaosNode({
          ...member,
          namespace: net.namespace(index),
          socketPath: join(root, `${member.name}.sock`),
          args: [...common, ...role],
          env,
        }),
      );
    });
    const [requester, ...workers] = nodes as [ChaosNode, ...ChaosNode[]];
    await requester.start();
    await Promise.all(workers.map((worker) => worker.start()));
    return { net, root, nodes, requester, workers, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** The generated model and the catalog that names it (its URL is the bootstrap's: see placeModel). */
async function workerModel(root: string) {
  const model = await writeTinyTestModel(root);
  const url = `http://${chaosIp(0)}:9/${model.id}.gguf`;
  const catalog = tinyModelCatalog(model, url);
  return { catalog, file: catalog.tiers['model-a']!.engineModels.builtin!, path: model.path };
}

/**
 * Puts the model in a worker's cache as a finished, verified download would leave it (the real cache and
 * index code). The namespaces cannot reach an origin on the host's loopback, and downloads are not what this
 * run is about (tests and the devnet cover them); a worker that tried to fetch would fail visibly, since
 * nothing listens at the catalog's URL.
 */
async function placeModel(dataDir: string, model: GgufModel, path: string): Promise<void> {
  const cache = new ModelCache(locationsFor(dataDir).modelsDir);
  await cache.ensureDir(model);
  await copyFile(path, cache.filePath(model));
  await cache.markReady(model);
}

/**
 * The steady stream: `concurrency` clients, each sending its next paid streamed chat to `requester` as soon as
 * the last one ended, until `stop()`; `outcomes` fills as they end.
 */
export function steadyChats(
  requester: ChaosNode,
  options: { readonly concurrency: number; readonly maxTokens: number; readonly hangMs: number },
  onOutcome: (outcome: ChatOutcome) => void = () => {},
): { readonly outcomes: ChatOutcome[]; stop(): Promise<void> } {
  const outcomes: ChatOutcome[] = [];
  let sending = true;
  let sent = 0;
  const target = requester.endpoint();
  const clients = Array.from({ length: options.concurrency }, async (_, client) => {
    while (sending) {
      sent += 1;
      const outcome = await chatOnce(
        target,
        {
          model: 'auto',
          messages: [{ role: 'user', content: `client ${client} request ${sent}` }],
          max_tokens: options.maxTokens,
        },
        options.hangMs,
      );
      outcomes.push(outcome);
      onOutcome(outcome);
      // A requester that is down answers at once: do not spin.
      if (outcome.kind !== 'completed' && outcome.ms < 100)
        await new Promise((done) => setTimeout(done, 200));
    }
  });
  return {
    outcomes,
    async stop() {
      sending = false;
      await Promise.all(clients);
    },
  };
}
