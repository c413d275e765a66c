// Group commit (issue 17): own appends asked for together share one transaction, keep the order they were
// asked in, are each durable before anyone sees them published, and one refused append leaves the rest alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Block } from '../../../../src-shared/ledger/block.ts';
import { buildReserve, reserveTermsFor } from '../../../../src-shared/ledger/block-builders.ts';
import { bytesEqual } from '../../../../src-shared/ledger/bytes.ts';
import type { LedgerParams } from '../../../../src-shared/ledger/ledger-params.ts';
import { LedgerService, type LedgerHookPoint } from '../../../../src-main/node/ledger/ledger-service.ts';
import { LedgerStore } from '../../../../src-main/node/ledger/ledger-store.ts';
import { signerFromSeed } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import {
  fingerprintOf,
  requestIdOf,
  T0,
  testAccount,
  testParams,
} from '../../../src-shared/ledger/ledger-fixtures.ts';

const dirs: string[] = [];
const services: LedgerService[] = [];
afterEach(async () => {
  for (const service of services.splice(0)) await service.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const me = testAccount(1);
const worker = testAccount(2);

async function started(points: LedgerHookPoint[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'og-group-commit-'));
  dirs.push(dir);
  const dbPath = join(dir, 'ledger.sqlite');
  const params = testParams([{ account: me, tokens: 50_000n }]);
  const service = new LedgerService(
    { signer: signerFromSeed(me.secret, me.pk), fingerprint: fingerprintOf(1) },
    { params, dbPath, now: () => T0, testHook: (point) => points.push(point) },
  );
  services.push(service);
  await service.start();
  service.ensureOpen();
  points.length = 0;
  return { service, params, dbPath };
}

function reserve(params: LedgerParams, nonce: number) {
  const requestId = requestIdOf(me, nonce);
  const terms = reserveTermsFor(params, 'model-a', requestId, [{ pk: worker.pk, weight: 1n }], 10, 10, T0);
  return (state: Parameters<Parameters<LedgerService['append']>[0]>[0]) =>
    buildReserve(params, state!, T0, {
      requestId,
      worker: worker.pk,
      maxPromptTokens: 10,
      maxCompletionTokens: 10,
      terms,
    });
}

describe('group commit of the own chain', () => {
  it('commits appends asked for together in one transaction, in the order they were asked', async () => {
    const points: LedgerHookPoint[] = [];
    const { service, params } = await started(points);
    const blocks = await Promise.all(
      Array.from({ length: 40 }, (_, i) => service.append(reserve(params, i))),
    );
    expect(blocks.map((b) => b.body.seq)).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i + 2)));
    expect(blocks.map((b) => b.body.requestId)).toEqual(
      Array.from({ length: 40 }, (_, i) => requestIdOf(me, i)),
    );
    expect(points.filter((p) => p === 'inserted')).toHaveLength(40);
    expect(points.filter((p) => p === 'committed')).toHaveLength(1);
  });

  it('publishes a block only once another connection can read it from the file', async () => {
    const { service, params, dbPath } = await started();
    const seenDurable: boolean[] = [];
    const reader = LedgerStore.openReadOnly(dbPath, nativeSha256)!.store;
    service.addEventListener('block:publish', (event) => {
      const chain = reader.chainOf(me.pk);
      seenDurable.push(chain.some((b: Block) => bytesEqual(b.id, event.detail.id)));
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => service.append(reserve(params, i))));
    reader.close();
    expect(seenDurable).toEqual(Array.from({ length: 10 }, () => true));
  });

  it('refuses only the append whose builder throws; the rest of its batch commits', async () => {
    const { service, params } = await started();
    const outcomes = await Promise.allSettled([
      service.append(reserve(params, 1)),
      service.append(() => {
        throw new RangeError('not this one');
      }),
      service.append(reserve(params, 1)), // the same requestId again: the rules refuse a replay
      service.append(reserve(params, 2)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
    expect(service.view.chain(me.pk)!.ids).toHaveLength(3);
  });

  it('commits what is queued before a synchronous append, so the chain keeps the order of asking', async () => {
    const { service, params } = await started();
    const queued = service.append(reserve(params, 1));
    const now = service.appendOwn(reserve(params, 2));
    expect((await queued).body.seq).toBe(2n);
    expect(now.body.seq).toBe(3n);
  });

  it('rejects appends still queued when the service stops', async () => {
    const { service, params } = await started();
    const queued = service.append(reserve(params, 1));
    await service.stop();
    await expect(queued).rejects.toThrow(/stopped/);
  });
});
