// Real libp2p nodes on 127.0.0.1 for integration tests: short intervals, private-network options, no UPnP.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import type { P2pInit } from '../../../../src-main/node/p2p/p2p-init.ts';
import { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { REGION_IDS } from '../../../../src-shared/regions/index.ts';
import { membersTopic } from '../../../../src-shared/protocol/index.ts';
import { DEFAULT_GOSSIP_SHARDS } from '../../../../src-main/node/membership/membership-defaults.ts';

export const TEST_TIERS = ['model-a', 'model-b', 'model-c', 'model-d'] as const;
/** Every membership shard topic of every region: scored, so rejects lower the sender's score. */
export const ALL_MEMBER_TOPICS = REGION_IDS.flatMap((region) =>
  TEST_TIERS.flatMap((tier) =>
    Array.from({ length: DEFAULT_GOSSIP_SHARDS }, (_, shard) => membersTopic({ region, tier }, shard)),
  ),
);

export async function startLoopbackP2p(
  init: P2pInit = {},
  privateKey?: Ed25519PrivateKey,
): Promise<P2pService> {
  const service = new P2pService(
    { privateKey: privateKey ?? (await generateKeyPair('Ed25519')) },
    {
      listen: ['/ip4/127.0.0.1/tcp/0'],
      privateNetwork: true,
      upnp: false,
      natTraversal: false,
      gossipHeartbeatMs: 200,
      scoredTopics: ALL_MEMBER_TOPICS,
      ...init,
    },
  );
  await service.start();
  return service;
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs` (a bound, not a measurement). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
