// Deferred writes (issue 17): a peer's blocks the node acts on at once are applied in memory and stored with the
// next commit, journal rows ride with it too, and whoever needs a row durable before it acts waits for it. Real
// SQLite files, read back through a second connection (what a crash would leave).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Block } from '../../../../src-shared/ledger/block.ts';
import { BlockKind } from '../../../../src-shared/ledger/block.ts';
import { LedgerStore } from '../../../../src-main/node/ledger/ledger-store.ts';
import { nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import { DatabaseSync } from '../../../../src-main/node/ledger/sqlite.ts';
import { requestIdOf, testAccount, testParams } from '../../../src-shared/ledger/ledger-fixtures.ts';
import { serviceFor, settleOwnRequest } from './ledger-service-fixtures.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'og-deferred-'));
  dirs.push(dir);
  return join(dir, 'ledger.sqlite');
}

const gen = testAccount(1);
const worker = testAccount(2);

/** The kinds of `account`'s blocks in the file, as a second connection sees them. */
function storedKinds(dbPath: string, account: Uint8Array): number[] {
  const opened = LedgerStore.openReadOnly(dbPath, nativeSha256)!;
  try {
    return opened.store.chainOf(account).map((block) => block.body.kind);
  } finally {
    opened.store.close();
  }
}

function ownAcksInFile(dbPath: string): number {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM own_acks').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('deferred writes', () => {
  it('applies a peer’s blocks at once and stores them before the own CREDIT that depends on them', async () => {
    const params = testParams([{ account: gen, tokens: 5_000n }]);
    const requester = serviceFor(gen, params, tempDb());
    const workerDb = tempDb();
    const workerNode = serviceFor(worker, params, workerDb);
    await requester.start();
    await workerNode.start();
    const gossip: Block[] = [];
    requester.addEventListener('block:publish', (e) => gossip.push(e.detail));
    requester.ensureOpen();
    settleOwnRequest(requester, params, {
      requestId: requestIdOf(gen, 1),
      worker: worker.pk,
      maxPrompt: 10,
      maxCompletion: 20,
      prompt: 10,
      completion: 15,
      quoteId: new Uint8Array(32).fill(1),
      outputDigest: new Uint8Array(32).fill(1),
    });
    const changed: number[] = [];
    workerNode.addEventListener('ledger:changed', (e) => changed.push(e.detail.length));
    expect(workerNode.receiveDeferred(gossip).map((v) => v.status)).toEqual(['valid', 'valid', 'valid']);
    // In memory (and told) now; not yet in the file.
    expect(workerNode.view.chain(gen.pk)?.ids).toHaveLength(3);
    expect(changed).toEqual([3]);
    expect(storedKinds(workerDb, gen.pk)).toEqual([]);
    // The CREDIT's commit writes them first, in its own transaction.
    const credits = await workerNode.claimCreditsQueued();
    expect(credits).toHaveLength(1);
    expect(storedKinds(workerDb, gen.pk)).toEqual([BlockKind.OPEN, BlockKind.RESERVE, BlockKind.SETTLE]);
    expect(storedKinds(workerDb, worker.pk).at(-1)).toBe(BlockKind.CREDIT);
    await requester.stop();
    await workerNode.stop();

    const restarted = serviceFor(worker, params, workerDb);
    await restarted.start();
    expect(restarted.headsConsistentAtStart).toBe(true);
    expect(restarted.view.balanceOf(worker.pk)).toBe(credits[0]!.body.amount);
    await restarted.stop();
  });

  it('a durable journal write is in the file when it resolves; rows nobody waits for follow shortly', async () => {
    const params = testParams([{ account: gen, tokens: 5_000n }]);
    const dbPath = tempDb();
    const service = serviceFor(gen, params, dbPath);
    await service.start();
    service.ensureOpen();
    const durable = service.journalDurably((journal) =>
      journal.recordAck(new Uint8Array(32).fill(7), 32, 10),
    );
    expect(ownAcksInFile(dbPath)).toBe(0);
    await durable;
    expect(ownAcksInFile(dbPath)).toBe(1);
    service.deferJournal((journal) => journal.forgetAcks(new Uint8Array(32).fill(7)));
    expect(ownAcksInFile(dbPath)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ownAcksInFile(dbPath)).toBe(0);
    // Outcomes are counted at once, written with the next commit.
    service.recordOutcome(worker.pk, 'failed');
    expect([...service.reputation().values()][0]?.failedCount).toBe(1);
    await service.stop();
    const again = serviceFor(gen, params, dbPath);
    await again.start();
    expect([...again.reputation().values()][0]?.failedCount).toBe(1);
    expect(again.journal.ackedFor(new Uint8Array(32).fill(7))).toBeNull();
    await again.stop();
  });
});
