import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import { ledgerCommand, type LedgerReport } from '../../../../src-main/cli/commands/ledger.ts';
import { loadOrCreateNodeKey } from '../../../../src-main/node/identity/node-key.ts';
import { LedgerService } from '../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromIdentity } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { locationsFor } from '../../../../src-main/node/locations.ts';
import { DEFAULT_LEDGER_PARAMS, MICRO_PER_TOKEN } from '../../../../src-shared/ledger/ledger-params.ts';
import { buildReserve, reserveTermsFor } from '../../../../src-shared/ledger/block-builders.ts';
import { settleOwnRequest } from '../../node/ledger/ledger-service-fixtures.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function io() {
  const out: string[] = [];
  return { out, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => out.push(l), env: {} } };
}

describe('opengateway-node ledger', () => {
  it('prints the balance, totals and newest blocks of the node’s own chain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'og-cli-ledger-'));
    dirs.push(dir);
    const locations = locationsFor(dir);
    const { privateKey } = await loadOrCreateNodeKey(locations.identityKey);
    const signer = signerFromIdentity(privateKey);
    const params = {
      ...DEFAULT_LEDGER_PARAMS,
      networkId: new Uint8Array(32).fill(3),
      genesis: [{ account: signer.publicKey, amount: 2_000n * MICRO_PER_TOKEN }],
      prices: { 'model-a': { pricePerUnit: 1_000n, promptWeight: 1n, completionWeight: 2n } },
    };
    const now = BigInt(Date.now());
    const service = new LedgerService(
      { signer, fingerprint: [] },
      { params, dbPath: locations.ledgerDb, now: () => now },
    );
    await service.start();
    service.ensureOpen();
    const requestId = new Uint8Array(32).fill(8);
    settleOwnRequest(service, params, {
      requestId,
      worker: signer.publicKey,
      maxPrompt: 100,
      maxCompletion: 100,
      prompt: 50,
      completion: 100,
      quoteId: requestId,
      outputDigest: requestId,
      at: now,
    });
    await service.stop();

    const json = io();
    expect(
      await ledgerCommand.run(['--data-dir', dir, '--json'], json.io, new AbortController().signal),
    ).toBe(0);
    const report = JSON.parse(json.out.join('\n')) as LedgerReport;
    expect(report).toMatchObject({
      account: toHex(signer.publicKey),
      opened: true,
      seq: 3,
      balance: '1,999.75',
      spent: '0.25',
      earned: '0',
      reserved: '0',
    });
    expect(report.history.map((h) => h.kind)).toEqual(['SETTLE', 'RESERVE', 'OPEN']);

    const text = io();
    expect(
      await ledgerCommand.run(['--data-dir', dir, '--limit', '1'], text.io, new AbortController().signal),
    ).toBe(0);
    expect(text.out.join('\n')).toMatch(/balance +1,999\.75 tokens \(0 reserved, 1,999\.75 available\)/);
    expect(text.out.join('\n')).toMatch(/SETTLE/);
    expect(text.out.join('\n')).not.toMatch(/RESERVE/);
  });

  it('counts a reservation held ahead of its request as the user’s, and one of a running request as reserved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'og-cli-ledger-'));
    dirs.push(dir);
    const locations = locationsFor(dir);
    const { privateKey } = await loadOrCreateNodeKey(locations.identityKey);
    const signer = signerFromIdentity(privateKey);
    const params = {
      ...DEFAULT_LEDGER_PARAMS,
      networkId: new Uint8Array(32).fill(3),
      genesis: [{ account: signer.publicKey, amount: 2_000n * MICRO_PER_TOKEN }],
      prices: { 'model-a': { pricePerUnit: 1_000n, promptWeight: 1n, completionWeight: 2n } },
    };
    const now = BigInt(Date.now());
    const service = new LedgerService(
      { signer, fingerprint: [] },
      { params, dbPath: locations.ledgerDb, now: () => now },
    );
    await service.start();
    service.ensureOpen();
    const reserve = (id: number) => {
      const requestId = new Uint8Array(32).fill(id);
      const terms = reserveTermsFor(
        params,
        'model-a',
        requestId,
        [{ pk: signer.publicKey, weight: 1n }],
        100,
        100,
        now + 30_000n,
      );
      service.appendOwn((state) =>
        buildReserve(params, state!, now, {
          requestId,
          worker: signer.publicKey,
          maxPromptTokens: 100,
          maxCompletionTokens: 100,
          terms,
        }),
      );
      return requestId;
    };
    // Held ahead (marked before its RESERVE, as requester-payments does), then one a running request holds.
    const ahead = new Uint8Array(32).fill(5);
    service.holdAhead(ahead);
    reserve(5);
    reserve(6);
    expect(service.summary()).toMatchObject({ reserved: '0.3', heldAhead: '0.3', available: '1,999.7' });
    await service.stop();

    const json = io();
    expect(
      await ledgerCommand.run(['--data-dir', dir, '--json'], json.io, new AbortController().signal),
    ).toBe(0);
    expect(JSON.parse(json.out.join('\n'))).toMatchObject({
      balance: '2,000',
      reserved: '0.3',
      heldAhead: '0.3',
      available: '1,999.7',
    });
    const text = io();
    expect(await ledgerCommand.run(['--data-dir', dir], text.io, new AbortController().signal)).toBe(0);
    expect(text.out.join('\n')).toMatch(
      /balance +2,000 tokens \(0\.3 reserved, 1,999\.7 available, of which 0\.3 reserved for the next request\)/,
    );
  });

  it('says plainly when there is no ledger yet, and refuses a bad --limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'og-cli-ledger-'));
    dirs.push(dir);
    const { io: out } = io();
    await expect(ledgerCommand.run(['--data-dir', dir], out, new AbortController().signal)).rejects.toThrow(
      /no ledger at .* yet/,
    );
    await expect(
      ledgerCommand.run(['--data-dir', dir, '--limit', 'x'], out, new AbortController().signal),
    ).rejects.toThrow(/--limit/);
  });
});
