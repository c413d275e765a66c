// The simulator's network: every node gets a MembershipTransport whose messages cross links with a per-link
// latency (stable per pair, with jitter), random loss, partitions and crashed nodes, on a virtual clock. The
// membership modules under test are the node's own, unmodified; only the transport and the clock are fakes.
import type { ClusterId } from '../../src-shared/protocol/protocol-ids.ts';
import type {
  MembershipTransport,
  MessageHandler,
} from '../../src-main/node/membership/membership-transport.ts';
import { VirtualClock } from './virtual-clock.ts';

export interface SimulatedNetworkOptions {
  /** One-way latency range of a link, ms (each pair gets a stable value in it). */
  readonly latencyMs?: readonly [number, number];
  /** Jitter as a share of the link's latency. */
  readonly jitter?: number;
  /** Probability that any one message is lost. */
  readonly loss?: number;
  readonly seed?: number;
}

/** Traffic counters of one node. */
export interface NodeTraffic {
  sent: number;
  sentBytes: number;
  received: number;
  receivedBytes: number;
}

/** A small, fast, seedable PRNG (mulberry32): simulations must be repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A peer id shaped like a real Ed25519 one (52 base58 chars), so message sizes are realistic. */
export function simulatedPeerId(index: number, random: () => number): string {
  let id = '12D3KooW';
  for (let i = 0; i < 44; i += 1) id += BASE58[Math.floor(random() * 58)];
  return `${id.slice(0, 52 - String(index).length)}${String(index).replace(/0/g, 'o')}`;
}

interface SimNode {
  readonly id: string;
  readonly index: number;
  handler: MessageHandler | null;
  readonly topics: Map<string, MessageHandler>;
  readonly traffic: NodeTraffic;
  crashed: boolean;
  partition: number;
}

export class SimulatedNetwork {
  readonly clock = new VirtualClock();
  readonly random: () => number;
  readonly #nodes = new Map<string, SimNode>();
  readonly #subscribers = new Map<string, Set<SimNode>>();
  readonly #advertised = new Map<string, string[]>();
  readonly #latency: readonly [number, number];
  readonly #jitter: number;
  loss: number;
  /**
   * Rewrites or drops (null) what crosses a link, after loss: lets a test lose exactly the messages it
   * names, or strip one rumor from every message, as a busy node or a reset stream would.
   */
  tamper: ((from: string, to: string, bytes: Uint8Array) => Uint8Array | null) | null = null;

  constructor(options: SimulatedNetworkOptions = {}) {
    this.random = seededRandom(options.seed ?? 1);
    this.#latency = options.latencyMs ?? [10, 80];
    this.#jitter = options.jitter ?? 0.1;
    this.loss = options.loss ?? 0;
  }

  /** A new node's transport. */
  addNode(id: string): MembershipTransport {
    const node: SimNode = {
      id,
      index: this.#nodes.size,
      handler: null,
      topics: new Map(),
      traffic: { sent: 0, sentBytes: 0, received: 0, receivedBytes: 0 },
      crashed: false,
      partition: 0,
    };
    this.#nodes.set(id, node);
    return this.#transport(node);
  }

  traffic(id: string): NodeTraffic {
    const node = this.#nodes.get(id);
    if (node === undefined) throw new RangeError(`no node ${id}`);
    return node.traffic;
  }

  resetTraffic(): void {
    for (const node of this.#nodes.values())
      Object.assign(node.traffic, { sent: 0, sentBytes: 0, received: 0, receivedBytes: 0 });
  }

  /** The node stops dead: nothing reaches it, nothing leaves it (its sockets are gone). */
  crash(id: string): void {
    const node = this.#nodes.get(id);
    if (node) node.crashed = true;
  }

  /** Nodes in different partitions cannot reach each other; 0 is everyone's default. */
  setPartition(id: string, partition: number): void {
    const node = this.#nodes.get(id);
    if (node) node.partition = partition;
  }

  /** A provider record for `id` (as a node that left, or has not joined yet, may still have one). */
  advertiseAs(id: string, cluster: ClusterId, on = true): void {
    const key = clusterName(cluster);
    const without = (this.#advertised.get(key) ?? []).filter((other) => other !== id);
    this.#advertised.set(key, on ? [...without, id] : without);
  }

  #linkLatency(a: SimNode, b: SimNode): number {
    // Stable per unordered pair: a cheap hash of the two indexes.
    const lo = Math.min(a.index, b.index);
    const hi = Math.max(a.index, b.index);
    const h = (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
    const [min, max] = this.#latency;
    const base = min + (h / 4294967296) * (max - min);
    return base * (1 + (this.random() * 2 - 1) * this.#jitter);
  }

  #deliver(
    from: SimNode,
    to: SimNode,
    bytes: Uint8Array,
    pick: (node: SimNode) => MessageHandler | null | undefined,
  ): void {
    if (from.crashed) return;
    from.traffic.sent += 1;
    from.traffic.sentBytes += bytes.byteLength;
    if (to.crashed || to.partition !== from.partition || this.random() < this.loss) return;
    const delivered = this.tamper === null ? bytes : this.tamper(from.id, to.id, bytes);
    if (delivered === null) return;
    this.clock.setTimer(this.#linkLatency(from, to), () => {
      if (to.crashed) return;
      const handler = pick(to);
      if (!handler) return;
      to.traffic.received += 1;
      to.traffic.receivedBytes += delivered.byteLength;
      handler(from.id, delivered);
    });
  }

  #transport(node: SimNode): MembershipTransport {
    return {
      self: node.id,
      send: (to, bytes) => {
        const target = this.#nodes.get(to);
        if (target === undefined) {
          node.traffic.sent += 1;
          node.traffic.sentBytes += bytes.byteLength;
          return;
        }
        this.#deliver(node, target, bytes, (n) => n.handler);
      },
      onMessage: (handler) => {
        node.handler = handler;
      },
      // Gossip is modelled as one copy to each subscriber (gossipsub's mesh sends about that per receiver).
      publish: (topic, bytes) => {
        for (const subscriber of this.#subscribers.get(topic) ?? [])
          if (subscriber !== node) this.#deliver(node, subscriber, bytes, (n) => n.topics.get(topic));
      },
      subscribe: (topic, handler) => {
        node.topics.set(topic, handler);
        let set = this.#subscribers.get(topic);
        if (set === undefined) this.#subscribers.set(topic, (set = new Set()));
        set.add(node);
        return () => {
          node.topics.delete(topic);
          set.delete(node);
        };
      },
      // The DHT's provider records: a lookup returns up to `limit` random advertisers after a lookup delay.
      findMembers: (cluster, limit, callback) => {
        const list = this.#advertised.get(clusterName(cluster)) ?? [];
        const picked = new Set<string>();
        for (let i = 0; i < limit * 3 && picked.size < Math.min(limit, list.length); i += 1) {
          const candidate = list[Math.floor(this.random() * list.length)]!;
          if (candidate !== node.id && !this.#nodes.get(candidate)?.crashed) picked.add(candidate);
        }
        const [min, max] = this.#latency;
        this.clock.setTimer(4 * (min + max), () => {
          if (!node.crashed) callback([...picked]);
        });
      },
      advertise: (cluster, on) => this.advertiseAs(node.id, cluster, on),
    };
  }
}

function clusterName(cluster: ClusterId): string {
  return `${cluster.region}/${cluster.tier}`;
}
