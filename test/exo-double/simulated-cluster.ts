// The cluster state one EXO API shows: its nodes (this process plus simulated LAN peers), instances with
// shard assignments, runners going through their lifecycle, downloads and running generation tasks.
// Serialised camelCase with tagged unions, as EXO's /state is.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DoubleOptions } from './double-options.ts';
import { exoLog } from './exo-log.ts';
import { MODEL_CARDS, type ModelCardJson } from './model-cards.ts';

type Json = Record<string, unknown>;

/** A tagged-union value: `{ "Tag": { …fields } }`. */
function tag(name: string, body: Json = {}): Json {
  return { [name]: body };
}

export function tagOf(value: unknown): [string, Json] | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length !== 1) return null;
  const body = (value as Json)[keys[0]!];
  return body !== null && typeof body === 'object' ? [keys[0]!, body as Json] : null;
}

export interface ClusterFaults {
  readonly refusePlacement: boolean;
  readonly dropPlacement: boolean;
  readonly runnerFail: string | null;
}

const MIB = 1024 * 1024;

export class SimulatedCluster {
  readonly localNodeId = randomBytes(16).toString('hex');
  readonly nodeIds: readonly string[];
  readonly instances = new Map<string, Json>();
  readonly runners = new Map<string, Json>();
  readonly tasks = new Map<string, Json>();
  readonly downloads = new Map<string, Json[]>();
  readonly #ramBytes: ReadonlyMap<string, number>;
  readonly #options: DoubleOptions;
  readonly #faults: ClusterFaults;
  readonly #apiPort: number;
  #eventIndex = 0;

  constructor(options: DoubleOptions, faults: ClusterFaults, apiPort: number, localRamMb: number) {
    this.#options = options;
    this.#faults = faults;
    this.#apiPort = apiPort;
    const peers = Array.from({ length: options.nodes - 1 }, () => randomBytes(16).toString('hex'));
    this.nodeIds = [this.localNodeId, ...peers];
    this.#ramBytes = new Map(
      this.nodeIds.map((id) => [id, (id === this.localNodeId ? localRamMb : options.ramMb) * MIB]),
    );
  }

  /** Where a node of the simulated cluster runs (its LAN address). */
  addressOf(nodeId: string): string {
    const index = this.nodeIds.indexOf(nodeId);
    if (index <= 0) return this.#options.host === '0.0.0.0' ? '127.0.0.1' : this.#options.host;
    return this.#options.peerAddresses[index - 1] ?? `127.0.0.${index + 1}`;
  }

  card(modelId: string): ModelCardJson | undefined {
    return MODEL_CARDS.find((model) => model.modelId === modelId);
  }

  /** GET /state. */
  state(): Json {
    const now = new Date().toISOString();
    const perNode = <T>(value: (id: string) => T) =>
      Object.fromEntries(this.nodeIds.map((id) => [id, value(id)]));
    // As EXO's reachability probes record them: every node reached every other at that node's own address
    // on the cluster's API port (a plain BaseModel Multiaddr, so its computed fields are snake_case).
    const connections: Json = {};
    for (const source of this.nodeIds) {
      connections[source] = Object.fromEntries(
        this.nodeIds
          .filter((sink) => sink !== source)
          .map((sink) => {
            const ip = this.addressOf(sink);
            const type = ip.includes(':') ? 'ip6' : 'ip4';
            const address = `/${type}/${ip}/tcp/${this.#apiPort}`;
            return [
              sink,
              [{ sinkMultiaddr: { address, address_type: type, ip_address: ip, port: this.#apiPort } }],
            ];
          }),
      );
    }
    return {
      instances: Object.fromEntries(this.instances),
      runners: Object.fromEntries(this.runners),
      tasks: Object.fromEntries(this.tasks),
      downloads: Object.fromEntries(this.downloads),
      topology: { nodes: [...this.nodeIds], connections },
      lastSeen: perNode(() => now),
      lastEventAppliedIdx: this.#eventIndex,
      nodeIdentities: perNode((id) => ({
        modelId: 'Mac Studio',
        chipId: 'Apple M2 Ultra',
        friendlyName: id === this.localNodeId ? 'exo-double' : `exo-double-peer-${id.slice(0, 4)}`,
        osVersion: '26.2',
        osBuildVersion: '25C56',
      })),
      nodeMemory: perNode((id) => ({
        ramTotal: { inBytes: this.#ramBytes.get(id)! * 2 },
        ramAvailable: { inBytes: this.#ramBytes.get(id)! },
        swapTotal: { inBytes: 0 },
        swapAvailable: { inBytes: 0 },
      })),
      nodeDisk: perNode(() => ({ total: { inBytes: 1e12 }, available: { inBytes: 5e11 } })),
      nodeSystem: perNode(() => ({ gpuUsage: 0, temp: 40, sysPower: 20, pcpuUsage: 0.1, ecpuUsage: 0.1 })),
      nodeNetwork: perNode((id) => ({
        interfaces: [{ name: 'en0', ipAddress: this.addressOf(id), interfaceType: 'ethernet' }],
      })),
      nodeBackends: perNode(() => ['MlxCpu', 'MlxMetal']),
      nodeRdmaCtl: perNode(() => ({ enabled: false })),
      nodeThunderbolt: {},
      nodeThunderboltBridge: {},
      thunderboltBridgeCycles: [],
      instanceLinks: {},
      prefillServerPorts: {},
      customModelCards: {},
    };
  }

  /** GET /instance/previews: every sharding × backend × node count, each with an instance or an error. */
  previews(modelId: string, onlyNodes: readonly string[]): Json[] {
    const card = this.card(modelId)!;
    const nodes =
      onlyNodes.length > 0 ? this.nodeIds.filter((id) => onlyNodes.includes(id)) : [...this.nodeIds];
    const previews: Json[] = [];
    for (const sharding of ['Pipeline', 'Tensor'] as const) {
      for (const meta of ['MlxRing', 'MlxJaccl'] as const) {
        for (let count = 1; count <= nodes.length; count += 1) {
          const members = nodes.slice(0, count);
          const memory = members.reduce((sum, id) => sum + this.#ramBytes.get(id)!, 0);
          let error: string | null = null;
          if (this.#faults.refusePlacement || memory < card.storageSize.inBytes) {
            error = `No cycles found with sufficient memory for ${modelId}`;
          } else if (meta === 'MlxJaccl') {
            error = 'MlxJaccl requires an RDMA-enabled cycle (Thunderbolt 5, rdma_ctl enabled)';
          } else if (sharding === 'Tensor' && count === 1) {
            error = 'Tensor sharding needs at least two nodes';
          }
          previews.push({
            model_id: modelId,
            sharding,
            instance_meta: meta,
            instance: error === null ? this.#buildInstance(card, members, sharding) : null,
            memory_delta_by_node:
              error === null
                ? Object.fromEntries(members.map((id) => [id, Math.floor(card.storageSize.inBytes / count)]))
                : null,
            error,
          });
        }
      }
    }
    return previews;
  }

  #buildInstance(card: ModelCardJson, members: readonly string[], sharding: 'Pipeline' | 'Tensor'): Json {
    const port = 49153 + Math.floor(Math.random() * 16_000);
    const runnerToShard: Json = {};
    const nodeToRunner: Record<string, string> = {};
    const base = Math.floor(card.nLayers / members.length);
    let start = 0;
    members.forEach((nodeId, rank) => {
      const runnerId = randomUUID();
      const layers = base + (rank < card.nLayers % members.length ? 1 : 0);
      const [startLayer, endLayer] = sharding === 'Pipeline' ? [start, start + layers] : [0, card.nLayers];
      start += layers;
      runnerToShard[runnerId] = tag(`${sharding}ShardMetadata`, {
        modelCard: card,
        deviceRank: rank,
        worldSize: members.length,
        immediateException: false,
        shouldTimeout: null,
        startLayer,
        endLayer,
        nLayers: card.nLayers,
      });
      nodeToRunner[nodeId] = runnerId;
    });
    return tag('MlxRingInstance', {
      instanceId: randomUUID(),
      shardAssignments: { modelId: card.modelId, runnerToShard, nodeToRunner },
      hostsByNode: Object.fromEntries(
        members.map((id) => [
          id,
          [
            { ip: '0.0.0.0', port },
            { ip: '127.0.0.1', port },
          ],
        ]),
      ),
      ephemeralPort: port,
    });
  }

  /** POST /instance. Returns an HTTP error, or null once the command is accepted (placement is async). */
  createInstance(instance: unknown): { status: number; message: string } | null {
    const tagged = tagOf(instance);
    const assignments = tagged?.[1].shardAssignments as Json | undefined;
    const card = typeof assignments?.modelId === 'string' ? this.card(assignments.modelId) : undefined;
    if (!tagged || typeof tagged[1].instanceId !== 'string' || !card) {
      return { status: 422, message: 'instance: not a valid Instance' };
    }
    const total = [...this.#ramBytes.values()].reduce((sum, bytes) => sum + bytes, 0);
    if (card.storageSize.inBytes > total) {
      return {
        status: 400,
        message: `Insufficient memory to create instance. Required: ${card.storageSize.inBytes}, available: ${total}`,
      };
    }
    if (this.#faults.dropPlacement) {
      // What EXO does when the master's placement fails: the API already answered "Command received.".
      setTimeout(
        () => exoLog('ERROR', `Error in command processor: no valid placement for ${card.modelId}`),
        10,
      );
      return null;
    }
    const instanceId = tagged[1].instanceId;
    setTimeout(() => {
      this.instances.set(instanceId, instance as Json);
      this.#eventIndex += 1;
      exoLog('INFO', `Instance ${instanceId} created for ${card.modelId}`);
      void this.#loadRunners(instanceId, card, assignments as Json);
    }, this.#options.loadStepMs);
    return null;
  }

  deleteInstance(instanceId: string): boolean {
    const instance = this.instances.get(instanceId);
    if (!instance) return false;
    this.instances.delete(instanceId);
    this.#eventIndex += 1;
    for (const runnerId of Object.values(this.#nodeToRunner(instance))) this.runners.delete(runnerId);
    exoLog('INFO', `Instance ${instanceId} deleted`);
    return true;
  }

  /** An instance serving `modelId` (EXO routes to the one with the fewest tasks; the double has one). */
  instanceFor(modelId: string): [string, Json] | null {
    for (const [id, instance] of this.instances) {
      const assignments = tagOf(instance)?.[1].shardAssignments as Json | undefined;
      if (assignments?.modelId === modelId) return [id, instance];
    }
    return null;
  }

  /** Every runner of the instance is RunnerReady or RunnerRunning. */
  isReady(instanceId: string): boolean {
    const instance = this.instances.get(instanceId);
    if (!instance) return false;
    return Object.values(this.#nodeToRunner(instance)).every((runnerId) => {
      const status = tagOf(this.runners.get(runnerId))?.[0];
      return status === 'RunnerReady' || status === 'RunnerRunning';
    });
  }

  /** Marks the instance's runners running (a generation) or ready (idle). */
  setRunning(instanceId: string, running: boolean): void {
    const instance = this.instances.get(instanceId);
    if (!instance) return;
    for (const runnerId of Object.values(this.#nodeToRunner(instance))) {
      if (!this.runners.has(runnerId)) continue;
      this.runners.set(
        runnerId,
        running ? tag('RunnerRunning') : tag('RunnerReady', { prefillServerPort: null }),
      );
    }
  }

  #nodeToRunner(instance: Json): Record<string, string> {
    const assignments = tagOf(instance)?.[1].shardAssignments as Json | undefined;
    return (assignments?.nodeToRunner ?? {}) as Record<string, string>;
  }

  /** Drives each runner through EXO's lifecycle: download, connect, load layers, warm up, ready. */
  async #loadRunners(instanceId: string, card: ModelCardJson, assignments: Json): Promise<void> {
    const nodeToRunner = assignments.nodeToRunner as Record<string, string>;
    const runnerToShard = assignments.runnerToShard as Json;
    const step = () => sleep(this.#options.loadStepMs);
    const alive = () => this.instances.has(instanceId);
    const setAll = (status: Json) => {
      for (const runnerId of Object.values(nodeToRunner)) this.runners.set(runnerId, status);
    };
    setAll(tag('RunnerIdle'));
    if (this.#options.downloadMs > 0) {
      const steps = 5;
      for (let done = 0; done <= steps && alive(); done += 1) {
        for (const [nodeId, runnerId] of Object.entries(nodeToRunner)) {
          const shard = runnerToShard[runnerId];
          const total = card.storageSize.inBytes;
          const downloaded = Math.floor((total * done) / steps);
          const body = { nodeId, shardMetadata: shard, modelDirectory: `/models/${card.modelId}` };
          this.downloads.set(nodeId, [
            done === steps
              ? tag('DownloadCompleted', { ...body, total: { inBytes: total }, readOnly: false })
              : tag('DownloadOngoing', {
                  ...body,
                  downloadProgress: {
                    total: { inBytes: total },
                    downloaded: { inBytes: downloaded },
                    downloadedThisSession: { inBytes: downloaded },
                    completedFiles: done,
                    totalFiles: steps,
                    speed: total / (this.#options.downloadMs / 1000),
                    etaMs: Math.round(((steps - done) * this.#options.downloadMs) / steps),
                    files: {},
                  },
                }),
          ]);
        }
        if (done < steps) await sleep(this.#options.downloadMs / steps);
      }
    }
    for (const status of [tag('RunnerConnecting'), tag('RunnerConnected')]) {
      await step();
      if (!alive()) return;
      setAll(status);
    }
    for (let quarter = 0; quarter <= 4; quarter += 1) {
      await step();
      if (!alive()) return;
      if (quarter === 2 && this.#faults.runnerFail !== null) {
        exoLog('ERROR', `Runner failed to load ${card.modelId}: ${this.#faults.runnerFail}`);
        setAll(tag('RunnerFailed', { errorMessage: this.#faults.runnerFail, diagnostics: [] }));
        return;
      }
      for (const [, runnerId] of Object.entries(nodeToRunner)) {
        const [, shard] = tagOf(runnerToShard[runnerId])!;
        const total = (shard.endLayer as number) - (shard.startLayer as number);
        this.runners.set(
          runnerId,
          tag('RunnerLoading', { layersLoaded: Math.round((total * quarter) / 4), totalLayers: total }),
        );
      }
    }
    for (const status of [
      tag('RunnerLoaded'),
      tag('RunnerWarmingUp'),
      tag('RunnerReady', { prefillServerPort: null }),
    ]) {
      await step();
      if (!alive()) return;
      setAll(status);
    }
    exoLog('INFO', `Runners ready for ${card.modelId} (instance ${instanceId})`);
  }

  /** Instance lookups by camelCase path segments (GET /state/<path>); undefined when missing. */
  statePath(segments: readonly string[]): unknown {
    let value: unknown = this.state();
    for (const segment of segments) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Json)[decodeURIComponent(segment)];
      if (value === undefined) return undefined;
    }
    return value;
  }
}
