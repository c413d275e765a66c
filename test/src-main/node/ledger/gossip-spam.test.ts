// Security finding 10 over real gossipsub and real ledgers (SQLite): a peer floods the ledger and fraud topics
// with what is valid but costs it nothing (accounts opened with nothing, fraud proofs against such accounts
// forking themselves). The receiver keeps only a bounded number per sender, and everyone else's blocks still
// get through.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOpen } from '../../../../src-shared/ledger/block-builders.ts';
import { createBlock, encodeBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { encodeFraudProof, forkProof } from '../../../../src-shared/ledger/fraud-proof.ts';
import type { LedgerParams } from '../../../../src-shared/ledger/ledger-params.ts';
import { FRAUD_TOPIC, ledgerTopic } from '../../../../src-shared/protocol/index.ts';
import { DEFAULT_FREE_GOSSIP_RATE } from '../../../../src-main/node/ledger/ledger-network.ts';
import { nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import { waitFor } from '../p2p/loopback-network.ts';
import { fundedAccounts, paidNode, runCleanup } from './paid-network-kit.ts';

afterEach(runCleanup);

async function freeOpen(params: LedgerParams, ts = Date.now()) {
  const key = await generateKeyPair('Ed25519');
  const fingerprint = [new Uint8Array(32).fill(key.publicKey.raw[0]!)];
  const body = buildOpen(params, key.publicKey.raw, BigInt(ts), { fingerprint, inherits: null }, 0n);
  const sign = (m: Uint8Array) => new Uint8Array(key.sign(m) as Uint8Array);
  return { key, block: createBlock(body, sign, nativeSha256), sign };
}

describe('gossip spam', () => {
  it('keeps a bounded number of free OPENs and junk proofs per sender, and honest blocks still arrive', async () => {
    const {
      keys: [keyA, keyB, keyS],
      params,
    } = await fundedAccounts([1_000n, 1_000n, 1_000n]);
    const a = await paidNode(params, keyA, []);
    const b = await paidNode(params, keyB, [a.p2p.listenAddresses()[0]!]);
    const pubsub = a.p2p.libp2p.services.pubsub;
    const topic = ledgerTopic('europe');
    await waitFor('A and B share both meshes', () =>
      [topic, FRAUD_TOPIC].every((t) => pubsub.getMeshPeers(t).some((p) => p.toString() === b.peerId)),
    );
    const before = b.ledger.view.accounts().length;

    // 40 self-forked nobodies (a proof each), then 40 accounts opened with nothing.
    for (let i = 0; i < 40; i++) {
      const { block, sign } = await freeOpen(params);
      const fork = createBlock({ ...block.body, ts: block.body.ts + 1n }, sign, nativeSha256);
      await pubsub.publish(FRAUD_TOPIC, encodeFraudProof(forkProof(block, fork)));
    }
    for (let i = 0; i < 40; i++) await pubsub.publish(topic, encodeBlock((await freeOpen(params)).block));
    // Then a genesis account's OPEN (not free): it arrives, so everything before it was judged.
    const sentinel = createBlock(
      buildOpen(
        params,
        keyS.publicKey.raw,
        BigInt(Date.now()),
        { fingerprint: [new Uint8Array(32).fill(7)], inherits: null },
        params.genesis[2]!.amount,
      ),
      (m) => new Uint8Array(keyS.sign(m) as Uint8Array),
      nativeSha256,
    );
    await pubsub.publish(topic, encodeBlock(sentinel));
    await waitFor('B holds the genesis OPEN', () => b.ledger.view.chain(keyS.publicKey.raw) !== undefined);

    // One bucket for both kinds: its burst, plus what it earned back while the test ran.
    const kept = b.ledger.view.fraudProofs().length + b.ledger.view.accounts().length - before - 1;
    expect(kept).toBeGreaterThanOrEqual(DEFAULT_FREE_GOSSIP_RATE.burst);
    expect(kept).toBeLessThanOrEqual(DEFAULT_FREE_GOSSIP_RATE.burst + 5);
  }, 60_000);
});
