// The ledger over real libp2p nodes on 127.0.0.1: gossip of blocks and fraud proofs, and a late node
// catching up through /og/ledger-sync/1.0.0.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildReserve, buildSettle, reserveTermsFor } from '../../../../src-shared/ledger/block-builders.ts';
import { createBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import {
  DEFAULT_LEDGER_PARAMS,
  MICRO_PER_TOKEN,
  type LedgerParams,
} from '../../../../src-shared/ledger/ledger-params.ts';
import { FRAUD_TOPIC, ledgerTopic } from '../../../../src-shared/protocol/index.ts';
import { LedgerNetwork } from '../../../../src-main/node/ledger/ledger-network.ts';
import { LedgerService } from '../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromIdentity } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { startLoopbackP2p, waitFor } from '../p2p/loopback-network.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface LedgerNode {
  readonly p2p: P2pService;
  readonly ledger: LedgerService;
  readonly network: LedgerNetwork;
  readonly account: Uint8Array;
}

async function ledgerNode(
  params: LedgerParams,
  privateKey: Ed25519PrivateKey,
  bootstrap: string[],
  machine: number,
): Promise<LedgerNode> {
  const dir = mkdtempSync(join(tmpdir(), 'og-ledger-net-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const p2p = await startLoopbackP2p(
    { bootstrap, scoredTopics: [ledgerTopic('europe'), FRAUD_TOPIC] },
    privateKey,
  );
  cleanup.push(() => p2p.stop());
  const signer = signerFromIdentity(privateKey);
  const ledger = new LedgerService(
    { signer, fingerprint: [new Uint8Array(32).fill(machine)] },
    { params, dbPath: join(dir, 'ledger.sqlite') },
  );
  await ledger.start();
  cleanup.push(() => ledger.stop());
  const network = new LedgerNetwork({ libp2p: p2p.libp2p, ledger }, { region: 'europe', antiEntropyMs: 0 });
  await network.start();
  cleanup.push(() => network.stop());
  return { p2p, ledger, network, account: signer.publicKey };
}

describe('ledger over libp2p', () => {
  it('gossips a paid request to every node, lets a late node catch up by sync, and spreads a fraud proof', async () => {
    const [keyA, keyW, keyN] = await Promise.all([
      generateKeyPair('Ed25519'),
      generateKeyPair('Ed25519'),
      generateKeyPair('Ed25519'),
    ]);
    const params: LedgerParams = {
      ...DEFAULT_LEDGER_PARAMS,
      networkId: new Uint8Array(32).fill(0x77),
      genesis: [{ account: keyA.publicKey.raw, amount: 2_000n * MICRO_PER_TOKEN }],
      prices: { 'model-a': { pricePerUnit: 1_000n, promptWeight: 1n, completionWeight: 2n } },
    };
    const a = await ledgerNode(params, keyA, [], 1);
    const w = await ledgerNode(params, keyW, [a.p2p.listenAddresses()[0]!], 2);
    const topic = ledgerTopic('europe');
    await waitFor(
      'gossip mesh between A and W',
      () =>
        a.p2p.libp2p.services.pubsub.getSubscribers(topic).length > 0 &&
        w.p2p.libp2p.services.pubsub.getSubscribers(topic).length > 0,
    );

    a.ledger.ensureOpen();
    w.ledger.ensureOpen();
    const requestId = new Uint8Array(32).fill(1);
    const terms = reserveTermsFor(
      params,
      'model-a',
      requestId,
      [{ pk: w.account, weight: 1n }],
      100,
      100,
      BigInt(Date.now()) + 30_000n,
    );
    a.ledger.appendOwn((s) =>
      buildReserve(params, s!, BigInt(Date.now()), {
        requestId,
        worker: w.account,
        maxPromptTokens: 100,
        maxCompletionTokens: 100,
        terms,
      }),
    );
    const settle = a.ledger.appendOwn((s) =>
      buildSettle(
        params,
        s!,
        BigInt(Date.now()),
        s!.open.get(toHex(requestId))!,
        requestId,
        requestId,
        40,
        80,
      ),
    );
    await waitFor('W validates the SETTLE', () => w.ledger.view.block(settle.id) !== undefined);
    w.ledger.claimCredits();
    await waitFor('A sees W’s CREDIT', () => a.ledger.view.balanceOf(w.account) === 200_000n);
    for (const view of [a.ledger.view, w.ledger.view]) {
      expect(view.balanceOf(a.account)).toBe(2_000n * MICRO_PER_TOKEN - 200_000n);
      expect(view.balanceOf(w.account)).toBe(200_000n);
    }

    // A late node catches up over /og/ledger-sync/1.0.0.
    const n = await ledgerNode(params, keyN, [a.p2p.listenAddresses()[0]!], 3);
    await waitFor('N connected to A', () =>
      n.p2p.libp2p.getPeers().some((p) => p.toString() === a.p2p.peerId),
    );
    await n.network.syncWith(a.p2p.peerId);
    expect(
      n.ledger.view
        .heads()
        .map((h) => toHex(h.id))
        .sort(),
    ).toEqual(
      a.ledger.view
        .heads()
        .map((h) => toHex(h.id))
        .sort(),
    );
    expect(n.ledger.view.balanceOf(w.account)).toBe(200_000n);

    // Garbage on the ledger topic is rejected, never applied.
    await waitFor('N in the mesh', () => n.p2p.libp2p.services.pubsub.getSubscribers(topic).length > 0);
    await n.p2p.libp2p.services.pubsub
      .publish(topic, new Uint8Array([0x82, 0x41, 0x00]))
      .catch(() => undefined);

    // A second body at A's head reaches W: W proves the fork, and the proof reaches A and N by gossip.
    await waitFor(
      'fraud topic mesh',
      () => w.p2p.libp2p.services.pubsub.getSubscribers(FRAUD_TOPIC).length >= 2,
    );
    const fork = createBlock(
      { ...settle.body, linkId: new Uint8Array(32).fill(9) },
      (m) => new Uint8Array(keyA.sign(m) as Uint8Array),
      nativeSha256,
    );
    expect(w.ledger.receive([fork])[0]!.status).toBe('fork');
    await waitFor(
      'A and N revoke A',
      () => a.ledger.view.isRevoked(a.account) && n.ledger.view.isRevoked(a.account),
    );
    expect(w.ledger.view.isRevoked(a.account)).toBe(true);
  }, 60_000);

  it('lets a node restored from an empty or old backup fetch its own chain before it signs again', async () => {
    const [keyA, keyW] = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519')]);
    const params: LedgerParams = {
      ...DEFAULT_LEDGER_PARAMS,
      networkId: new Uint8Array(32).fill(0x78),
      genesis: [{ account: keyA.publicKey.raw, amount: 2_000n * MICRO_PER_TOKEN }],
      prices: { 'model-a': { pricePerUnit: 1_000n, promptWeight: 1n, completionWeight: 2n } },
    };
    const w = await ledgerNode(params, keyW, [], 2);
    const a = await ledgerNode(params, keyA, [w.p2p.listenAddresses()[0]!], 1);
    await waitFor(
      'mesh',
      () => a.p2p.libp2p.services.pubsub.getSubscribers(ledgerTopic('europe')).length > 0,
    );
    a.ledger.ensureOpen();
    const requestId = new Uint8Array(32).fill(4);
    const terms = reserveTermsFor(
      params,
      'model-a',
      requestId,
      [{ pk: w.account, weight: 1n }],
      10,
      10,
      BigInt(Date.now()) + 30_000n,
    );
    const reserve = a.ledger.appendOwn((s) =>
      buildReserve(params, s!, BigInt(Date.now()), {
        requestId,
        worker: w.account,
        maxPromptTokens: 10,
        maxCompletionTokens: 10,
        terms,
      }),
    );
    await waitFor('W has A’s RESERVE', () => w.ledger.view.block(reserve.id) !== undefined);

    // The same key on a fresh data dir (a restored empty backup).
    const restored = await ledgerNode(params, keyA, [w.p2p.listenAddresses()[0]!], 1);
    await waitFor('restored node connected', () => restored.p2p.libp2p.getPeers().length > 0);
    expect(await restored.network.guardOwnChain()).toBe(2n);
    expect(restored.ledger.view.head(a.account)!.seq).toBe(2n);
    // Its next block follows the published chain: no second body at seq 2.
    const next = restored.ledger.appendOwn((s) =>
      buildSettle(params, s!, BigInt(Date.now()), s!.open.get(toHex(requestId))!, requestId, requestId, 5, 5),
    );
    expect(next.body.seq).toBe(3n);
  }, 60_000);
});
