// Security finding 14 over real gossipsub: a block that is refused only because of the receiver's clock (its
// timestamp is ahead of it) must not cost the honest relay its score, while a block that breaks a rule every
// node agrees on still does.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOpen } from '../../../../src-shared/ledger/block-builders.ts';
import { createBlock, encodeBlock } from '../../../../src-shared/ledger/block-codec.ts';
import type { LedgerParams } from '../../../../src-shared/ledger/ledger-params.ts';
import { MICRO_PER_TOKEN } from '../../../../src-shared/ledger/ledger-params.ts';
import { ledgerTopic } from '../../../../src-shared/protocol/index.ts';
import { nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import { waitFor } from '../p2p/loopback-network.ts';
import { fundedAccounts, paidNode, runCleanup } from './paid-network-kit.ts';

afterEach(runCleanup);

/** The part of gossipsub's score statistics this test reads (not in the OgPubSub interface). */
interface ScoreStats {
  dumpPeerScoreStats(): Record<
    string,
    { topics: Record<string, { invalidMessageDeliveries: number } | undefined> } | undefined
  >;
}

async function openBlock(params: LedgerParams, ts: number, amount = 0n) {
  const key: Ed25519PrivateKey = await generateKeyPair('Ed25519');
  const fingerprint = [new Uint8Array(32).fill(key.publicKey.raw[0]!)];
  const body = buildOpen(params, key.publicKey.raw, BigInt(ts), { fingerprint, inherits: null }, amount);
  return createBlock(body, (m) => new Uint8Array(key.sign(m) as Uint8Array), nativeSha256);
}

describe('gossip disputes', () => {
  it('ignores a block from the future without penalising its relay, and still penalises a broken one', async () => {
    const {
      keys: [keyA, keyB],
      params,
    } = await fundedAccounts([1_000n, 1_000n]);
    const a = await paidNode(params, keyA, []);
    const b = await paidNode(params, keyB, [a.p2p.listenAddresses()[0]!]);
    const pubsub = a.p2p.libp2p.services.pubsub;
    const topic = ledgerTopic('europe');
    await waitFor('A and B share the ledger mesh', () =>
      pubsub.getMeshPeers(topic).some((p) => p.toString() === b.peerId),
    );

    // Ten minutes ahead of B's clock (a relay whose clock is fast, or a signer's), then a sound block.
    const future = await Promise.all([1, 2, 3, 4].map(() => openBlock(params, Date.now() + 10 * 60_000)));
    const sound = await openBlock(params, Date.now());
    for (const block of [...future, sound]) await pubsub.publish(topic, encodeBlock(block));
    await waitFor('B holds the sound block', () => b.ledger.view.chain(sound.body.account) !== undefined);
    for (const block of future) expect(b.ledger.view.chain(block.body.account)).toBeUndefined();
    // What gossipsub counts against A on this topic (the score follows at the next heartbeat).
    const scores = b.p2p.libp2p.services.pubsub as unknown as ScoreStats;
    const invalidFromA = () =>
      scores.dumpPeerScoreStats()[a.peerId]?.topics[topic]?.invalidMessageDeliveries ?? 0;
    expect(invalidFromA()).toBe(0);

    // An OPEN that creates tokens is wrong on every node: that one costs the relay.
    const forged = await openBlock(params, Date.now(), 5n * MICRO_PER_TOKEN);
    await pubsub.publish(topic, encodeBlock(forged)).catch(() => undefined);
    await waitFor('B counts the broken block against A', () => invalidFromA() > 0);
    await waitFor('B penalises A', () => b.p2p.libp2p.services.pubsub.getScore(a.peerId) < 0);
  }, 60_000);
});
