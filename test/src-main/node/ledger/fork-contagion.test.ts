// Security finding 12 (fork contagion), performed against real ledgers (SQLite files) syncing over real
// libp2p: a requester double-spends (two RESERVE branches, each SETTLEd to another worker). Node X follows
// branch A; node Y follows branch B, where worker W2 was paid and went on to pay W1. X used to park W2's
// CREDIT forever (its SETTLE is on the branch X did not pick), and with it W2's whole later chain: W2 could
// not pay anyone holding X's view. Now X validates branch B from the fork point, counts what it spent as
// the forker's extra debt, and keeps W2's chain, also after a restart.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlockKind, type Block } from '../../../../src-shared/ledger/block.ts';
import type { LedgerView } from '../../../../src-shared/ledger/ledger-view.ts';
import { FRAUD_TOPIC, ledgerTopic } from '../../../../src-shared/protocol/index.ts';
import { LedgerNetwork } from '../../../../src-main/node/ledger/ledger-network.ts';
import { LedgerService } from '../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromIdentity } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { startLoopbackP2p } from '../p2p/loopback-network.ts';
import {
  assertConserved,
  newView,
  openAccount,
  paidRequest,
  T0,
  testAccount,
  testParams,
} from '../../../src-shared/ledger/ledger-fixtures.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const requester = testAccount(121);
const w1 = testAccount(122);
const w2 = testAccount(123);
const params = testParams([
  { account: requester, tokens: 1_500n },
  { account: w2, tokens: 1_000n },
]);
const TOKENS = { maxPrompt: 10, maxCompletion: 100, prompt: 10, completion: 100 };

/** The two branches of a double spend, as each worker's side of the network saw them. */
function doubleSpend() {
  const a = newView(params);
  const b = newView(params);
  const opens = [requester, w1, w2].map((account) => {
    const open = openAccount(a, account);
    expect(b.receive(open, T0).verdict.status).toBe('valid');
    return open;
  });
  // Branch A: the requester pays W1. Branch B, at the same seq: it pays W2 instead.
  const branchA = paidRequest(a, requester, [{ account: w1, weight: 1n }], 1, TOKENS);
  const branchB = paidRequest(b, requester, [{ account: w2, weight: 1n }], 2, TOKENS);
  // On B's side, W2 goes on and pays W1 for a request of its own.
  const later = paidRequest(b, w2, [{ account: w1, weight: 1n }], 3, { ...TOKENS, completion: 50 });
  return {
    a: [...opens, branchA.reserve, branchA.settle, ...branchA.credits],
    b: [...opens, branchB.reserve, branchB.settle, ...branchB.credits, later.reserve, later.settle],
    w2Chain: [opens[2]!, ...branchB.credits, later.reserve, later.settle],
    branchBSettle: branchB.settle,
  };
}

async function ledgerNode(blocks: readonly Block[], dir: string, bootstrap: string[] = []) {
  const key = await generateKeyPair('Ed25519');
  const p2p = await startLoopbackP2p({ bootstrap, scoredTopics: [ledgerTopic('europe'), FRAUD_TOPIC] }, key);
  cleanup.push(() => p2p.stop());
  const ledger = await openLedger(key, dir);
  const network = new LedgerNetwork({ libp2p: p2p.libp2p, ledger }, { region: 'europe', antiEntropyMs: 0 });
  await network.start();
  cleanup.push(() => network.stop());
  for (const verdict of ledger.receive(blocks)) expect(verdict.status).toBe('valid');
  return { p2p, ledger, network, key };
}

async function openLedger(key: Ed25519PrivateKey, dir: string) {
  const ledger = new LedgerService(
    { signer: signerFromIdentity(key), fingerprint: [new Uint8Array(32).fill(9)] },
    { params, dbPath: join(dir, 'ledger.sqlite'), now: () => T0 },
  );
  await ledger.start();
  cleanup.push(() => ledger.stop());
  return ledger;
}

function chainLength(view: LedgerView, account: Uint8Array): number {
  return view.chain(account)?.ids.length ?? 0;
}

describe('fork contagion', () => {
  it('keeps the chain of a worker paid on the branch a node did not pick, across sync and a restart', async () => {
    const { a, b, w2Chain, branchBSettle } = doubleSpend();
    const dirX = mkdtempSync(join(tmpdir(), 'og-fork-x-'));
    const dirY = mkdtempSync(join(tmpdir(), 'og-fork-y-'));
    cleanup.push(() => rmSync(dirX, { recursive: true, force: true }));
    cleanup.push(() => rmSync(dirY, { recursive: true, force: true }));
    const y = await ledgerNode(b, dirY);
    const x = await ledgerNode(a, dirX, [y.p2p.listenAddresses()[0]!]);
    await x.p2p.libp2p.dial(multiaddr(y.p2p.listenAddresses()[0]));

    // X catches up with Y (anti-entropy): it sees the double spend and Y's side of it.
    await x.network.syncWith(y.p2p.peerId);
    const view = x.ledger.view;
    expect(view.isRevoked(requester.pk)).toBe(true);
    // X kept its own canonical branch, and every block of W2's chain validates there.
    expect(chainLength(view, w2.pk)).toBe(w2Chain.length);
    expect(view.head(w2.pk)!.id).toEqual(w2Chain.at(-1)!.id);
    // W2's payment to W1 is claimable by W1 on X's side (its pay from branch A is claimed already).
    expect(view.unclaimedFor(w1.pk).map((o) => o.payer)).toEqual([w2.pk]);
    // Both branches' spending is the forker's debt: tokens are conserved exactly.
    const spentA = -a.find((block) => block.body.kind === BlockKind.SETTLE)!.body.amount;
    expect(view.balanceOf(requester.pk)).toBe(params.genesis[0]!.amount - spentA + branchBSettle.body.amount);
    assertConserved(view);

    // A restart of X replays the same branches from its SQLite file.
    const before = view.conservation();
    await x.network.stop();
    await x.ledger.stop();
    const reopened = await openLedger(x.key, dirX);
    expect(chainLength(reopened.view, w2.pk)).toBe(w2Chain.length);
    expect(reopened.view.balanceOf(requester.pk)).toBe(view.balanceOf(requester.pk));
    expect(reopened.view.conservation()).toEqual(before);
    expect(reopened.view.isRevoked(requester.pk)).toBe(true);
  }, 60_000);

  it('follows a fork branch whatever order its blocks and the worker’s CREDIT arrive in', () => {
    const { a, b, w2Chain } = doubleSpend();
    const extra = b.filter((block) => !a.some((known) => known.id === block.id));
    // Every order of Y's extra blocks, on top of X's view.
    const orders = [extra, [...extra].reverse(), [extra[1]!, ...extra.slice(3), extra[0]!, extra[2]!]];
    for (const order of orders) {
      const view = newView(params);
      for (const block of a) expect(view.receive(block, T0).verdict.status).toBe('valid');
      for (const block of order) view.receive(block, T0);
      expect(chainLength(view, w2.pk)).toBe(w2Chain.length);
      assertConserved(view);
    }
  });
});
