// The node's libp2p service as onboarding builds it: bootstrap nodes from the signed config plus the command
// line (never itself), private-network mode for loopback/LAN devnets, the gossip topic allow-list, and the
// ledger's reputation in gossip scores. Then the wait for a first bootstrap connection.
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { allBootstrapAddresses, type NetworkConfig } from '../../../src-shared/network-config/index.ts';
import { knownGossipTopics } from './gossip-topics.ts';
import { localOnlyFromEnv, noNameResolutionFromEnv } from './local-only.ts';
import { P2pService } from './p2p-service.ts';
import { parseMultiaddr } from './parse-multiaddr.ts';
import { isPrivateAddress } from './private-address.ts';

export interface NodeP2pOptions {
  readonly config: NetworkConfig;
  readonly privateKey: Ed25519PrivateKey;
  readonly peerId: string;
  readonly listen?: readonly string[];
  /** Extra bootstrap addresses beyond the network config's. */
  readonly bootstrap: readonly string[];
  readonly relay: boolean;
  /** Loopback/LAN network: private addresses count. Default: true when any address given is private. */
  readonly privateNetwork?: boolean;
  readonly reputation: (peerId: string) => number;
  /** Gossip score points a peer lost outside gossip (corrupted model blocks). */
  readonly penalty?: (peerId: string) => number;
  /**
   * OPENGATEWAY_LOCAL_ONLY: nothing leaves the machine. Bootstrap addresses by DNS name are skipped (and
   * reported), no UPnP or mDNS, and a connection gater allows dials to loopback only. Default: the
   * OPENGATEWAY_LOCAL_ONLY environment variable.
   */
  readonly localOnly?: boolean;
  /** Find peers on the LAN by mDNS (default: on, unless local-only). */
  readonly mdns?: boolean;
}

/** Addresses whose first part is a DNS name (`/dns4/…`, `/dnsaddr/…`): resolving them leaves the machine. */
export function isNamedAddress(address: string): boolean {
  return /^\/dns(4|6|addr)?\//.test(address);
}

/** The (not yet started) service, every bootstrap address it dials, and the names it skipped (not looked up). */
export function createNodeP2p(options: NodeP2pOptions): {
  p2p: P2pService;
  bootstrap: string[];
  skipped: string[];
} {
  const all = [...new Set([...allBootstrapAddresses(options.config), ...options.bootstrap])];
  const localOnly = options.localOnly ?? localOnlyFromEnv(process.env);
  // Local-only, or OPENGATEWAY_NO_NAME_RESOLUTION (LAN tests): no bootstrap name is looked up.
  const skipped = localOnly || noNameResolutionFromEnv(process.env) ? all.filter(isNamedAddress) : [];
  // Never itself: the first node of a network finds its own address in the config.
  const bootstrap = all.filter((address) => !skipped.includes(address) && !isSelf(address, options.peerId));
  const listen = options.listen;
  const privateNetwork =
    options.privateNetwork ?? [...bootstrap, ...(listen ?? [])].some((address) => isPrivateAddress(address));
  const topics = knownGossipTopics(options.config);
  const p2p = new P2pService(
    { privateKey: options.privateKey },
    {
      ...(listen ? { listen } : {}),
      bootstrap,
      relayServer: options.relay,
      privateNetwork,
      // UPnP multicasts SSDP on the LAN: never in local-only mode (the p2p service enforces it too).
      upnp: !privateNetwork && !localOnly,
      mdns: options.mdns ?? true,
      localOnly,
      scoredTopics: topics,
      allowedTopics: topics,
      reputation: options.reputation,
      ...(options.penalty ? { penalty: options.penalty } : {}),
    },
  );
  return { p2p, bootstrap, skipped };
}

/** Wait up to `waitMs` for a first connection; a node with no bootstrap node goes on at once. */
export async function waitForBootstrap(
  p2p: P2pService,
  bootstrapCount: number,
  options: { readonly waitMs: number; readonly log: (line: string) => void; readonly signal?: AbortSignal },
): Promise<void> {
  if (bootstrapCount === 0) return;
  const deadline = Date.now() + options.waitMs;
  while (p2p.connectionCount() === 0 && Date.now() < deadline) {
    options.signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (p2p.connectionCount() === 0) options.log('p2p: no bootstrap node answered yet; going on alone');
  else options.log(`p2p: connected to ${p2p.connectionCount()} peer(s)`);
}

function isSelf(address: string, peerId: string): boolean {
  return parseMultiaddr(address, 'bootstrap')
    .getComponents()
    .some((component) => component.name === 'p2p' && component.value === peerId);
}
