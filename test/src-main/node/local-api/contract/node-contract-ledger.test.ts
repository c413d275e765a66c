// The contract's balance and earnings, over a real LedgerService (SQLite in a temporary folder). The node
// around it is a DOUBLE of RunningNode holding only what these calls read, so the ledger's timing is under the
// test's control (node-contract.test.ts covers the rest with a real node).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LedgerService } from '../../../../../src-main/node/ledger/ledger-service.ts';
import { locationsFor } from '../../../../../src-main/node/locations.ts';
import { NodeContract } from '../../../../../src-main/node/local-api/contract/node-contract.ts';
import type { RunningNode } from '../../../../../src-main/node/running-node.ts';
import type { Notification } from '../../../../../src-shared/ipc/index.ts';
import type { LedgerParams } from '../../../../../src-shared/ledger/ledger-params.ts';
import { formatTokens } from '../../../../../src-shared/ledger/token-amount.ts';
import { requestIdOf, T0, testAccount, testParams } from '../../../../src-shared/ledger/ledger-fixtures.ts';
import { serviceFor, settleOwnRequest } from '../../ledger/ledger-service-fixtures.ts';

const requester = testAccount(1);
const worker = testAccount(2);
const signal = new AbortController().signal;

let dir: string;
let params: LedgerParams;
let ledger: LedgerService;
let node: RunningNode & { ledger: LedgerService | null };
let contract: NodeContract;
let heard: Notification[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'og-contract-ledger-'));
  params = testParams([{ account: requester, tokens: 10_000n }]);
  ledger = serviceFor(requester, params, join(dir, 'ledger.sqlite'), 1);
  await ledger.start();
  ledger.ensureOpen();
  const events = new EventTarget();
  node = {
    locations: locationsFor(dir),
    networkConfig: {
      ledger: { minBalanceToRequest: 1000, debtFloor: -1000, ackEveryTokens: 32 },
      tiers: [{ id: 'model-a', engineModels: { exo: 'llama-3.1-8b' } }],
    },
    ledger,
    addEventListener: events.addEventListener.bind(events),
    removeEventListener: events.removeEventListener.bind(events),
  } as unknown as RunningNode & { ledger: LedgerService | null };
  contract = new NodeContract(node, { ledgerPublishDelayMs: 5 });
  heard = [];
  contract.notifications.subscribe((notification) => heard.push(notification));
});

afterEach(async () => {
  contract.close();
  await ledger.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One paid chat on the requester's own chain: RESERVE then SETTLE, both in the same turn. */
function chat(nonce: number, prompt: number, completion: number): void {
  settleOwnRequest(ledger, params, {
    requestId: requestIdOf(requester, nonce),
    worker: worker.pk,
    maxPrompt: 100,
    maxCompletion: 200,
    prompt,
    completion,
    quoteId: new Uint8Array(32).fill(nonce),
    outputDigest: new Uint8Array(32).fill(1),
    expiresAt: T0 + 30_000n,
  });
}

function balances(): number[] {
  return heard.flatMap((entry) => (entry.name === 'balance' ? [entry.payload.available] : []));
}

async function nextBalance(count: number): Promise<number> {
  await vi.waitFor(() => expect(balances().length).toBeGreaterThanOrEqual(count));
  return balances()[count - 1]!;
}

describe('the contract’s balance from the ledger', () => {
  it('is exactly what the ledger’s summary (GET /api/ledger) says, in micro-tokens', async () => {
    chat(1, 10, 20);
    const balance = await contract.handlers.getBalance(null, { signal });
    const summary = ledger.summary();
    const shown = (micro: number | undefined) => formatTokens(BigInt(micro ?? Number.NaN));
    expect(shown(balance?.available)).toBe(summary.available);
    expect(shown(balance?.reserved)).toBe(summary.reserved);
    expect(shown(balance?.earned)).toBe(summary.earned);
    expect(shown(balance?.spent)).toBe(summary.spent);
    expect(balance?.minimumToRequest).toBe(1_000_000_000);
    // model-a: 1,000 µT per unit; 10 prompt + 2 × 20 completion units.
    expect(balance?.spent).toBe(50_000);
    const earnings = await contract.handlers.getEarnings({ limit: 5 }, { signal });
    expect(earnings?.recent).toEqual([
      expect.objectContaining({ direction: 'spent', amount: 50_000, tier: 'model-a', model: 'llama-3.1-8b' }),
    ]);
    expect(earnings?.series.at(-1)?.balance).toBe(balance?.available);
  });

  it('pushes one balance and earnings notification per burst of blocks', async () => {
    // Following the ledger publishes the balance it has now.
    await contract.handlers.getBalance(null, { signal });
    const start = await nextBalance(1);
    expect(start).toBe(10_000_000_000);

    chat(2, 100, 0); // RESERVE and SETTLE: two ledger changes, one notification
    expect(await nextBalance(2)).toBe(10_000_000_000 - 100_000);
    chat(3, 0, 50);
    expect(await nextBalance(3)).toBe(10_000_000_000 - 100_000 - 100_000);
    expect(balances()).toHaveLength(3);
    const lastEarnings = heard.filter((entry) => entry.name === 'earnings').at(-1);
    expect(lastEarnings?.name === 'earnings' && lastEarnings.payload.recent.length).toBe(2);
  });

  it('says the balance is unknown while the node has no ledger, and stops following one when closed', async () => {
    node.ledger = null;
    expect(await contract.handlers.getBalance(null, { signal })).toBeNull();
    expect(await contract.handlers.getEarnings({ limit: 5 }, { signal })).toBeNull();
    node.ledger = ledger;
    await contract.handlers.getBalance(null, { signal });
    expect(ledger.listenerCount('ledger:changed')).toBe(1);
    contract.close();
    expect(ledger.listenerCount('ledger:changed')).toBe(0);
  });

  it('says the balance is unknown once the ledger has stopped (the node is stopping)', async () => {
    await ledger.stop();
    expect(await contract.handlers.getBalance(null, { signal })).toBeNull();
  });
});
