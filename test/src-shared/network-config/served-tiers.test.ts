// What requesters call each tier: the catalog model it serves (the built-in engine's GGUF where the catalog has
// one, since every install has that engine), and a client that learned EXO's id still reaches the tier.
import { describe, expect, it } from 'vitest';
import { ChatGateway } from '../../../src-main/node/routing/chat-gateway.ts';
import type { ClusterDirectory } from '../../../src-main/node/routing/cluster-directory.ts';
import type { InferRequester } from '../../../src-main/node/routing/infer-requester.ts';
import { defaultNetworkTiers } from '../../../src-main/node/network-config/default-network-tiers.ts';
import { servedTierOf } from '../../../src-shared/network-config/index.ts';

describe('the tiers as requesters see them', () => {
  const tiers = defaultNetworkTiers().map(servedTierOf);

  it('names a tier by the GGUF model it serves, and by EXO’s id where there is no GGUF', () => {
    expect(tiers.find((tier) => tier.id === 'model-a')).toMatchObject({
      modelId: 'llama-3.1-8b-instruct-q4_k_m',
      aliases: ['mlx-community/Meta-Llama-3.1-8B-Instruct-4bit'],
    });
    const withoutGguf = defaultNetworkTiers().find((tier) => tier.engineModels.builtin === undefined);
    if (withoutGguf)
      expect(servedTierOf(withoutGguf)).toMatchObject({ modelId: withoutGguf.engineModels.exo, aliases: [] });
  });

  it('routes a request that names the EXO id, the GGUF id or the tier to the same tier', () => {
    const gateway = new ChatGateway({
      directory: { region: () => 'asia', members: () => [] } as unknown as ClusterDirectory,
      requester: {} as InferRequester,
      tiers: () => tiers,
    });
    for (const name of [
      'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit',
      'llama-3.1-8b-instruct-q4_k_m',
      'model-a',
    ])
      expect(gateway.resolve(name).id, name).toBe('model-a');
  });
});
