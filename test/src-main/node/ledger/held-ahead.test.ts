// Reservations held ahead of a request (issue 17), on real ledgers (SQLite files): an offered quote the
// requester reserves ahead may never take the room its next request needs, however many offers arrive at
// once, and one a stop or crash left open is still counted as the user's after the restart and is settled
// at zero before anything else runs.
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { afterEach, describe, expect, it } from 'vitest';
import { BlockKind } from '../../../../src-shared/ledger/block.ts';
import { requestCost } from '../../../../src-shared/ledger/economy.ts';
import type { LedgerParams } from '../../../../src-shared/ledger/ledger-params.ts';
import { promptTokenCount } from '../../../../src-shared/protocol/prompt-token-count.ts';
import { LedgerStore } from '../../../../src-main/node/ledger/ledger-store.ts';
import type { LedgerService } from '../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromIdentity } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import { heldAheadInFile } from '../../../../src-main/node/ledger/payment-journal.ts';
import { LedgerRequesterPayments } from '../../../../src-main/node/ledger/requester-payments.ts';
import { LedgerWorkerPayments } from '../../../../src-main/node/ledger/worker-payments.ts';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { ASK, cleanup, fundedAccounts, runCleanup, startLedger, TIER } from './paid-network-kit.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

afterEach(runCleanup);

/** The most an offer for ASK can lock: the quote's maxima at the network's price. */
function askMaxCost(params: LedgerParams): bigint {
  return requestCost(params.prices[TIER]!, promptTokenCount(ASK), ASK.max_tokens!);
}

/** A requester's ledger and payments, and a worker that hands out offers, on files in a fresh directory. */
async function requesterAndWorker(params: LedgerParams, keyR: Ed25519PrivateKey, keyW: Ed25519PrivateKey) {
  const dir = mkdtempSync(join(tmpdir(), 'og-held-ahead-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'requester.sqlite');
  const ledger = await startLedger(keyR, params, dbPath);
  ledger.ensureOpen();
  const payments = requesterPayments(ledger, keyR, params);
  const workerLedger = await startLedger(keyW, params, join(dir, 'worker.sqlite'));
  const worker = new LedgerWorkerPayments({
    ledger: workerLedger,
    signer: signerFromIdentity(keyW),
    params: () => params,
    pullAccount: () => Promise.resolve(),
  });
  cleanup.push(() => worker.stop());
  const workerPeer = peerIdFromPrivateKey(keyW).toString();
  const requester = { account: keyR.publicKey.raw, peer: peerIdFromPrivateKey(keyR).toString() };
  const offer = (): Uint8Array => {
    const quote = worker.offerNext(requester, TIER, ASK, [{ peerId: workerPeer, share: 1 }], 100);
    if (quote === null) throw new Error('the worker made no offer');
    return quote;
  };
  const holdAhead = () => payments.reserveAhead({ peerId: workerPeer, cluster: [] }, TIER, ASK, offer());
  return { ledger, dbPath, holdAhead };
}

function requesterPayments(ledger: LedgerService, key: Ed25519PrivateKey, params: LedgerParams) {
  const payments = new LedgerRequesterPayments({
    ledger,
    signer: signerFromIdentity(key),
    params: () => params,
    selfPeerId: peerIdFromPrivateKey(key).toString(),
  });
  cleanup.push(() => payments.stop());
  return payments;
}

/** The held-ahead marks in the file, read by a second, read-only connection (what a crash would leave). */
function marksInFile(dbPath: string): number {
  const opened = LedgerStore.openReadOnly(dbPath, nativeSha256);
  if (!opened) throw new Error('no ledger file');
  try {
    return heldAheadInFile(opened.store.database).length;
  } finally {
    opened.store.close();
  }
}

describe('reservations held ahead', () => {
  it('never takes the next request’s room, even when offers arrive together', async () => {
    const {
      keys: [keyR, keyW],
      params: base,
    } = await fundedAccounts([1n, 1n]);
    // Room for the largest request plus one offer held ahead and half of another: one hold fits, two do not.
    const balance = base.genesis[0]!.amount;
    const offerCost = askMaxCost(base);
    const params: LedgerParams = {
      ...base,
      floor: 0n,
      minAvailable: 0n,
      maxRequestCost: balance - offerCost - offerCost / 2n,
    };
    const { ledger, holdAhead } = await requesterAndWorker(params, keyR, keyW);

    // Three offers in the same turn: each is checked against the same chain before any commits.
    const held = await Promise.all([holdAhead(), holdAhead(), holdAhead()]);
    expect(held.filter((h) => h !== null)).toHaveLength(1);
    const chain = ledger.view.chain(ledger.account)!;
    expect(chain.reserved).toBe(offerCost);
    expect(ledger.heldAhead()).toBe(offerCost);
    // The next request of the largest cost is still admitted, and one more offer is not held.
    expect(() => ledger.assertCanRequest(params.maxRequestCost)).not.toThrow();
    expect(await holdAhead()).toBeNull();
    expect(ledger.view.chain(ledger.account)!.ids.length).toBe(chain.ids.length);

    held.find((h) => h !== null)!.release();
    expect(ledger.view.chain(ledger.account)!.reserved).toBe(0n);
    expect(ledger.heldAhead()).toBe(0n);
    expect(ledger.view.balanceOf(ledger.account)).toBe(balance);
  });

  it('is marked in the RESERVE’s own commit, counted as the user’s after a restart, and settled at zero', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const { ledger, dbPath, holdAhead } = await requesterAndWorker(params, keyR, keyW);
    const balance = ledger.view.balanceOf(ledger.account);
    const held = await holdAhead();
    expect(held).not.toBeNull();
    // Durable with the RESERVE, not with some later commit: a crash right now keeps the mark.
    expect(marksInFile(dbPath)).toBe(1);
    const locked = ledger.view.chain(ledger.account)!.reserved;
    expect(locked).toBeGreaterThan(0n);

    // Stopped without releasing it (a crash, a kill): the next start finds it open.
    await ledger.stop();
    const restarted = await startLedger(keyR, params, dbPath);
    expect(restarted.view.chain(restarted.account)!.reserved).toBe(locked);
    expect(restarted.heldAhead()).toBe(locked);
    expect(restarted.summary()).toMatchObject({ reserved: '0', available: restarted.summary().balance });

    // What the node does at start before any request of its own: settle it alone, at zero.
    expect(requesterPayments(restarted, keyR, params).settleOpenReservations()).toBe(1);
    const chain = restarted.view.chain(restarted.account)!;
    const settle = restarted.view.block(chain.ids.at(-1)!)!;
    expect(settle.body.kind).toBe(BlockKind.SETTLE);
    expect(settle.body.amount).toBe(0n);
    expect(chain.reserved).toBe(0n);
    expect(restarted.view.balanceOf(restarted.account)).toBe(balance);
    expect(restarted.heldAhead()).toBe(0n);
    // The mark goes too (with the next commit; a stop flushes it).
    await restarted.stop();
    expect(marksInFile(dbPath)).toBe(0);
  });
});
