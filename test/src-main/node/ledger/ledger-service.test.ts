import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Block } from '../../../../src-shared/ledger/block.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import { MICRO_PER_TOKEN, type LedgerParams } from '../../../../src-shared/ledger/ledger-params.ts';
import {
  LedgerNetworkMismatchError,
  InsufficientBalanceError,
  OwnBlockRejectedError,
} from '../../../../src-main/node/ledger/errors.ts';
import type { LedgerService } from '../../../../src-main/node/ledger/ledger-service.ts';
import { DatabaseSync } from '../../../../src-main/node/ledger/sqlite.ts';
import {
  debtParams,
  requestIdOf,
  testAccount,
  testParams,
} from '../../../src-shared/ledger/ledger-fixtures.ts';
import { serviceFor, settleOwnRequest } from './ledger-service-fixtures.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'og-ledger-'));
  dirs.push(dir);
  return join(dir, 'ledger.sqlite');
}

const gen = testAccount(1);
const worker = testAccount(2);

function reserveAndSettle(
  service: LedgerService,
  params: LedgerParams,
  nonce: number,
): { reserve: Block; settle: Block } {
  return settleOwnRequest(service, params, {
    requestId: requestIdOf(gen, nonce),
    worker: worker.pk,
    maxPrompt: 10,
    maxCompletion: 20,
    prompt: 10,
    completion: 15,
    quoteId: new Uint8Array(32).fill(nonce),
    outputDigest: new Uint8Array(32).fill(1),
  });
}

describe('LedgerService', () => {
  it('appends its own chain, publishes only after commit, and recomputes the same heads after a restart', async () => {
    const params = testParams([{ account: gen, tokens: 5_000n }]);
    const dbPath = tempDb();
    const service = serviceFor(gen, params, dbPath);
    const published: string[] = [];
    service.addEventListener('block:publish', (e) => published.push(toHex(e.detail.id)));
    await service.start();
    service.ensureOpen();
    const { settle } = reserveAndSettle(service, params, 1);
    expect(published).toHaveLength(3);
    expect(service.summary()).toMatchObject({ balance: '4,999.96', reserved: '0', spent: '0.04', seq: '3' });
    await service.stop();

    const again = serviceFor(gen, params, dbPath);
    await again.start();
    expect(again.headsConsistentAtStart).toBe(true);
    expect(toHex(again.view.head(gen.pk)!.id)).toBe(toHex(settle.id));
    expect(again.view.balanceOf(gen.pk)).toBe(5_000n * MICRO_PER_TOKEN - 40_000n);
    await again.stop();
  });

  it('never stores an own block the rules reject', async () => {
    const params = testParams([{ account: gen, tokens: 500n }]);
    const service = serviceFor(gen, params, tempDb());
    await service.start();
    service.ensureOpen();
    expect(() => reserveAndSettle(service, params, 1)).toThrow(OwnBlockRejectedError);
    expect(service.view.chain(gen.pk)!.ids).toHaveLength(1);
    expect(() => service.assertCanRequest(1n)).toThrow(InsufficientBalanceError);
    expect(() => service.assertCanRequest(1n)).toThrow(/balance below 1,000 tokens: 500 available/);
    await service.stop();
  });

  it('stores received blocks and forks, pays the worker after it claims, and keeps it all across a restart', async () => {
    const params = testParams([{ account: gen, tokens: 5_000n }]);
    const requester = serviceFor(gen, params, tempDb());
    const workerDb = tempDb();
    const workerNode = serviceFor(worker, params, workerDb);
    await requester.start();
    await workerNode.start();
    const gossip: Block[] = [];
    requester.addEventListener('block:publish', (e) => gossip.push(e.detail));
    requester.ensureOpen();
    const { settle } = reserveAndSettle(requester, params, 1);
    expect(workerNode.receive(gossip).map((v) => v.status)).toEqual(['valid', 'valid', 'valid']);
    const credits = workerNode.claimCredits();
    expect(credits).toHaveLength(1);
    expect(workerNode.view.balanceOf(worker.pk)).toBe(-settle.body.amount);
    // A second body at the SETTLE's seq: stored as evidence, proof emitted, requester revoked.
    const proofs: string[] = [];
    workerNode.addEventListener('fraud:proof', (e) => proofs.push(e.detail.type));
    const forked = requester.view.blockAt(gen.pk, 3n)!;
    const other = { ...forked.body, linkId: new Uint8Array(32).fill(0xee) };
    const { createBlock } = await import('../../../../src-shared/ledger/block-codec.ts');
    const fork = createBlock(other, (m) => gen.sign(m));
    expect(workerNode.receive([fork])[0]!.status).toBe('fork');
    expect(proofs).toEqual(['fork']);
    await workerNode.stop();

    const restarted = serviceFor(worker, params, workerDb);
    await restarted.start();
    expect(restarted.headsConsistentAtStart).toBe(true);
    expect(restarted.view.balanceOf(worker.pk)).toBe(-settle.body.amount);
    expect(restarted.view.isRevoked(gen.pk)).toBe(true);
    expect(restarted.summary().earned).toBe('0.04');
    await restarted.stop();
    await requester.stop();
  });

  it('detects a heads cache that disagrees with the blocks and rewrites it', async () => {
    const params = testParams([{ account: gen, tokens: 5_000n }]);
    const dbPath = tempDb();
    const service = serviceFor(gen, params, dbPath);
    await service.start();
    service.ensureOpen();
    await service.stop();
    const db = new DatabaseSync(dbPath);
    db.exec('UPDATE heads SET balance = 1');
    db.close();
    const again = serviceFor(gen, params, dbPath);
    await again.start();
    expect(again.headsConsistentAtStart).toBe(false);
    await again.stop();
    const third = serviceFor(gen, params, dbPath);
    await third.start();
    expect(third.headsConsistentAtStart).toBe(true);
    await third.stop();
  });

  it('refuses a ledger file of another network', async () => {
    const dbPath = tempDb();
    const params = testParams([]);
    const service = serviceFor(gen, params, dbPath);
    await service.start();
    await service.stop();
    const other = serviceFor(gen, { ...params, networkId: new Uint8Array(32).fill(7) }, dbPath);
    await expect(other.start()).rejects.toThrow(LedgerNetworkMismatchError);
  });

  it('opens a reinstalled node (new key, same machine) in the debt of its indebted predecessor', async () => {
    const params = debtParams(gen);
    const old = serviceFor(gen, params, tempDb(), 99);
    await old.start();
    const gossip: Block[] = [];
    old.addEventListener('block:publish', (e) => gossip.push(e.detail));
    old.ensureOpen();
    settleOwnRequest(old, params, {
      requestId: requestIdOf(gen, 5),
      worker: worker.pk,
      maxPrompt: 0,
      maxCompletion: 750_000,
      prompt: 0,
      completion: 750_000,
      quoteId: new Uint8Array(32).fill(5),
      outputDigest: new Uint8Array(32).fill(1),
    });
    expect(old.view.balanceOf(gen.pk)).toBe(-500n * MICRO_PER_TOKEN);
    const reinstalled = serviceFor(testAccount(50), params, tempDb(), 99);
    await reinstalled.start();
    reinstalled.receive(gossip);
    reinstalled.ensureOpen();
    expect(reinstalled.summary().balance).toBe('-500');
    expect(reinstalled.summary().refusal).toBeNull();
    expect(() => reinstalled.assertCanRequest(1n)).toThrow(/balance below 1,000 tokens: -500 available/);
    await reinstalled.stop();
    await old.stop();
  });
});
