// Security finding 1, performed over real libp2p gossip against real ledgers (SQLite): an attacker opens a
// zero-balance account carrying the victim's public fingerprint hashes and forks it. Every node revokes the
// attacker; no node, the victim's own included, may refuse the victim for it.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBlock, createBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { ledgerTopic } from '../../../../src-shared/protocol/index.ts';
import { nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { waitFor } from '../p2p/loopback-network.ts';
import {
  ASK,
  collect,
  fundedAccounts,
  paidNode,
  requesterOf,
  runCleanup,
  TIER,
  withEngine,
} from './paid-network-kit.ts';

afterEach(runCleanup);

describe('machine binding attack', () => {
  it('revokes a copied-fingerprint forker without freezing the victim whose fingerprint it copied', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const victimMachine = [new Uint8Array(32).fill(0x61), new Uint8Array(32).fill(0x62)];
    const w = await paidNode(params, keyW, []);
    const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!], { fingerprint: victimMachine });
    await withEngine(w);
    // Both know the victim's OPEN (and so its hashes), as every node of the region would.
    r.ledger.ensureOpen();
    w.ledger.receive([r.ledger.view.blockAt(r.ledger.account, 1n)!]);

    // The attacker: a fresh key, no tokens, the victim's hashes copied from its public OPEN.
    const keyA = await generateKeyPair('Ed25519');
    const copied = [...r.ledger.view.chain(r.ledger.account)!.fingerprint];
    const a = await paidNode(params, keyA, [w.p2p.listenAddresses()[0]!], { fingerprint: copied });
    const open = a.ledger.view.blockAt(a.ledger.account, 1n)!;
    const fork = createBlock(
      { ...open.body, ts: open.body.ts + 1n },
      (m) => new Uint8Array(keyA.sign(m) as Uint8Array),
      nativeSha256,
    );
    const pubsub = a.p2p.libp2p.services.pubsub;
    await waitFor('the attacker is in the ledger mesh', () =>
      pubsub.getSubscribers(ledgerTopic('europe')).some((p) => p.toString() === w.peerId),
    );
    await pubsub.publish(ledgerTopic('europe'), encodeBlock(open));
    await waitFor('W holds the attacker OPEN', () => w.ledger.view.chain(a.ledger.account) !== undefined);
    await pubsub.publish(ledgerTopic('europe'), encodeBlock(fork));
    await waitFor(
      'W and R revoked the attacker',
      () => w.ledger.view.isRevoked(a.ledger.account) && r.ledger.view.isRevoked(a.ledger.account),
      20_000,
    );

    // The victim is neither refused by the worker nor by its own node, and its request is served and paid.
    expect(w.ledger.view.serviceRefusal(r.ledger.account)).toBeNull();
    expect(r.ledger.view.serviceRefusal(r.ledger.account)).toBeNull();
    const { text } = await collect(requesterOf(r, [w]).chat(TIER, ASK));
    expect(text.length).toBeGreaterThan(0);
    await waitFor('the worker was paid', () => w.settlements.length === 1);
    expect(w.settlements[0]?.kind).toBe('settled');
  }, 60_000);
});
