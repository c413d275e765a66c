import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ledgerApiRoute,
  type LedgerApiReport,
} from '../../../../../src-main/node/local-api/routes/ledger-api-route.ts';
import type { LedgerAudit } from '../../../../../src-main/node/local-api/routes/ledger-audit.ts';
import { LedgerService } from '../../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromSeed } from '../../../../../src-main/node/ledger/ledger-signer.ts';
import { fingerprintOf, T0, testAccount, testParams } from '../../../../src-shared/ledger/ledger-fixtures.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/ledger', () => {
  it('reports the account and bounded history, and refuses a bad limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'og-ledger-api-'));
    dirs.push(dir);
    const me = testAccount(1);
    const ledger = new LedgerService(
      { signer: signerFromSeed(me.secret, me.pk), fingerprint: fingerprintOf(1) },
      { params: testParams([{ account: me, tokens: 1_234n }]), dbPath: join(dir, 'l.sqlite'), now: () => T0 },
    );
    await ledger.start();
    ledger.ensureOpen();
    ledger.recordOutcome(testAccount(2).pk, { settled: 5n });
    const route = ledgerApiRoute(() => ledger);
    const request = (query: string) => ({
      method: 'GET',
      path: '/api/ledger',
      query: new URLSearchParams(query),
      body: new Uint8Array(0),
      signal: new AbortController().signal,
    });
    const ok = (await route(request('limit=1'))) as { status: number; body: LedgerApiReport };
    expect(ok.status).toBe(200);
    expect(ok.body.account).toMatchObject({
      balance: '1,234',
      available: '1,234',
      opened: true,
      revoked: false,
    });
    expect(ok.body.history).toHaveLength(1);
    expect(ok.body.reputation[0]).toMatchObject({ settled: 1, failed: 0, revoked: false });
    expect(((await route(request('limit=0'))) as { status: number }).status).toBe(400);
    const audit = (await route(request('audit=1'))) as { status: number; body: { audit: LedgerAudit } };
    expect(audit.status).toBe(200);
    expect(audit.body.audit).toMatchObject({ conserved: true, chains: 1, pending: 0, forksProven: 0 });
    expect(BigInt(audit.body.audit.balances) + BigInt(audit.body.audit.unopenedGenesis)).toBe(
      BigInt(audit.body.audit.genesis) - BigInt(audit.body.audit.unclaimedOutputs),
    );
    expect(audit.body.audit.headsDigest).toMatch(/^[0-9a-f]{64}$/);
    await ledger.stop();
  });
});
