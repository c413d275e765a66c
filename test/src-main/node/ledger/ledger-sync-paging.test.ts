// Security finding 10: sync served only the first 10,000 heads and 256 fraud proofs, so junk crowded out real
// revocations and accounts beyond 10,000 were invisible to anti-entropy. Now both come in pages; a peer that
// cannot page still answers the one unpaged request.
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildOpen } from '../../../../src-shared/ledger/block-builders.ts';
import { createBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import { forkProof, offenderOf } from '../../../../src-shared/ledger/fraud-proof.ts';
import { LedgerView } from '../../../../src-shared/ledger/ledger-view.ts';
import {
  decodeSyncRequest,
  encodeSyncResponse,
  MAX_HEADS,
  MAX_PROOFS,
} from '../../../../src-shared/ledger/sync/sync-messages.ts';
import {
  LedgerSync,
  type SyncTarget,
  type SyncTransport,
} from '../../../../src-main/node/ledger/ledger-sync.ts';
import { answerSyncRequest } from '../../../../src-main/node/ledger/sync-answer.ts';
import { createNativeVerifier, nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import { T0, testParams } from '../../../src-shared/ledger/ledger-fixtures.ts';

const params = testParams([]);
const verify = createNativeVerifier();

/** A fresh account's OPEN (and a second, forked one), signed by OpenSSL. */
function openPair(): { open: ReturnType<typeof createBlock>; fork: ReturnType<typeof createBlock> } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));
  const sign = (m: Uint8Array) => new Uint8Array(nodeSign(null, m, privateKey));
  const body = buildOpen(
    params,
    raw,
    T0,
    { fingerprint: [new Uint8Array(32).fill(raw[0]!)], inherits: null },
    0n,
  );
  return {
    open: createBlock(body, sign, nativeSha256),
    fork: createBlock({ ...body, ts: T0 + 1n }, sign, nativeSha256),
  };
}

function newView(): LedgerView {
  return new LedgerView({ params, verify, hasher: nativeSha256 });
}

function target(): SyncTarget {
  const view = newView();
  return {
    view,
    receive: (blocks) => blocks.map((b) => view.receive(b, T0).verdict),
    receiveFraudProof: (proof) => view.addFraudProof(proof),
  };
}

/**
 * A peer serving `source`. It answers range requests with no blocks (the accounts asked for are recorded):
 * what this test checks is which accounts a sync learns of, not 10,000 chains arriving.
 */
function peer(source: LedgerView, canPage = true): SyncTransport & { readonly asked: Set<string> } {
  const asked = new Set<string>();
  return {
    asked,
    request: (_peer, bytes) => {
      const request = decodeSyncRequest(bytes);
      if (!canPage && (request?.type === 'get-heads-after' || request?.type === 'get-fraud-after'))
        return Promise.resolve(encodeSyncResponse({ type: 'error', message: 'malformed request' }));
      if (request?.type === 'get-range') {
        asked.add(toHex(request.account));
        return Promise.resolve(encodeSyncResponse({ type: 'blocks', blocks: [] }));
      }
      return Promise.resolve(answerSyncRequest(source, bytes));
    },
  };
}

describe('ledger sync paging', () => {
  it('reaches every account past 10,000 and every revocation past 256 junk proofs', async () => {
    const source = newView();
    const accounts = MAX_HEADS + 50;
    // Signed for real but not verified here (trusted: the source's own store would not verify them again).
    for (let i = 0; i < accounts; i++) source.receive(openPair().open, T0, { trusted: true });
    for (let i = 0; i < MAX_PROOFS + 44; i++) {
      const { open, fork } = openPair();
      expect(source.addFraudProof(forkProof(open, fork))).toBe('new');
    }
    const node = target();
    const transport = peer(source);
    await new LedgerSync({ target: node, transport }, { hasher: nativeSha256 }).syncWith('p', {
      signal: new AbortController().signal,
    });
    expect(transport.asked.size).toBe(accounts);
    const offenders = (view: LedgerView) =>
      view
        .fraudProofs()
        .map((p) => toHex(offenderOf(p)))
        .sort();
    expect(offenders(node.view)).toEqual(offenders(source));

    // A peer of an older version answers only the unpaged request: its first page of proofs still arrives.
    const legacy = target();
    const old = peer(source, false);
    await new LedgerSync({ target: legacy, transport: old }, { hasher: nativeSha256 }).syncWith('p', {
      signal: new AbortController().signal,
    });
    expect(legacy.view.fraudProofs()).toHaveLength(MAX_PROOFS);
    expect(old.asked.size).toBe(MAX_HEADS);
    expect(old.asked.size).toBeLessThan(accounts);
  }, 120_000);
});
