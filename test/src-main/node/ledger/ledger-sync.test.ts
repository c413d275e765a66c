// LedgerSync's range pull against a peer it cannot trust: long chains arrive whole in bounded hand-overs,
// and a peer that answers with the wrong range or a malformed page ends the pull instead of looping it.
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  buildOpen,
  buildReserve,
  buildSettle,
  reserveTermsFor,
} from '../../../../src-shared/ledger/block-builders.ts';
import { createBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import type { FraudProof } from '../../../../src-shared/ledger/fraud-proof.ts';
import { LedgerView } from '../../../../src-shared/ledger/ledger-view.ts';
import {
  decodeSyncRequest,
  encodeSyncRequest,
  encodeSyncResponse,
  MAX_RANGE_BLOCKS,
} from '../../../../src-shared/ledger/sync/sync-messages.ts';
import {
  LedgerSync,
  RECEIVE_BATCH_BLOCKS,
  type SyncTarget,
  type SyncTransport,
} from '../../../../src-main/node/ledger/ledger-sync.ts';
import { answerSyncRequest } from '../../../../src-main/node/ledger/sync-answer.ts';
import { signerFromSeed } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { createNativeVerifier, nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import { T0, testParams, testAccount } from '../../../src-shared/ledger/ledger-fixtures.ts';

const payer = testAccount(1);
const worker = testAccount(2);
const params = testParams([{ account: payer, tokens: 100_000n }]);
const verify = createNativeVerifier();

/** One chain of `length` blocks: an OPEN, then RESERVE/SETTLE pairs (signed by OpenSSL: fast enough). */
function longChain(length: number): LedgerView {
  const view = new LedgerView({ params, verify, hasher: nativeSha256 });
  const signer = signerFromSeed(payer.secret, ed25519.getPublicKey(payer.secret));
  const add = (body: Parameters<typeof createBlock>[0]) => {
    const block = createBlock(body, signer.sign, nativeSha256);
    expect(view.receive(block, T0).verdict.status).toBe('valid');
  };
  add(
    buildOpen(
      params,
      payer.pk,
      T0,
      { fingerprint: [new Uint8Array(32).fill(1)], inherits: null },
      100_000n * 1_000_000n,
    ),
  );
  for (let i = 0; view.chain(payer.pk)!.ids.length < length; i++) {
    const requestId = nativeSha256(Uint8Array.of(i & 0xff, i >> 8, 7));
    const terms = reserveTermsFor(params, 'model-a', requestId, [{ pk: worker.pk, weight: 1n }], 2, 2, T0);
    add(
      buildReserve(params, view.chain(payer.pk)!, T0, {
        requestId,
        worker: worker.pk,
        maxPromptTokens: 2,
        maxCompletionTokens: 2,
        terms,
      }),
    );
    if (view.chain(payer.pk)!.ids.length === length) break;
    const state = view.chain(payer.pk)!;
    add(buildSettle(params, state, T0, state.open.get(toHex(requestId))!, requestId, requestId, 1, 1));
  }
  return view;
}

/** A node's side: a fresh view that records each hand-over's size. */
function target(): SyncTarget & { readonly handOvers: number[] } {
  const view = new LedgerView({ params, verify, hasher: nativeSha256 });
  const handOvers: number[] = [];
  return {
    view,
    handOvers,
    receive: (blocks) => {
      handOvers.push(blocks.length);
      return blocks.map((b) => view.receive(b, T0).verdict);
    },
    receiveFraudProof: (proof: FraudProof) => view.addFraudProof(proof),
  };
}

/** A transport to a peer serving `source`, with the range replies optionally rewritten. */
function peer(
  source: LedgerView,
  rewrite?: (from: bigint, reply: Uint8Array) => Uint8Array,
): SyncTransport & { ranges: number } {
  const transport = {
    ranges: 0,
    request: (_peer: string, bytes: Uint8Array) => {
      const reply = answerSyncRequest(source, bytes);
      const request = decodeSyncRequest(bytes);
      if (request?.type !== 'get-range') return Promise.resolve(reply);
      transport.ranges++;
      return Promise.resolve(rewrite ? rewrite(request.fromSeq, reply) : reply);
    },
  };
  return transport;
}

const signal = new AbortController().signal;

describe('LedgerSync range pulls', () => {
  it('catches up a chain of many pages whole, handing the node at most RECEIVE_BATCH_BLOCKS at a time', async () => {
    const length = RECEIVE_BATCH_BLOCKS + 2 * MAX_RANGE_BLOCKS + 37;
    const source = longChain(length);
    const node = target();
    const transport = peer(source);
    const sync = new LedgerSync({ target: node, transport }, { hasher: nativeSha256 });
    await sync.pullAccount('peer', payer.pk, { signal });
    expect(node.view.head(payer.pk)?.seq).toBe(BigInt(length));
    expect(toHex(node.view.head(payer.pk)!.id)).toBe(toHex(source.head(payer.pk)!.id));
    expect(node.handOvers).toEqual([RECEIVE_BATCH_BLOCKS, length - RECEIVE_BATCH_BLOCKS]);
    expect(transport.ranges).toBe(Math.ceil(length / MAX_RANGE_BLOCKS));
    expect(sync.stats).toMatchObject({ blocksReceived: length, invalidFromPeer: 0 });
  });

  it('ends a pull at a reply that does not start where it asked, keeping what came before', async () => {
    const source = longChain(3 * MAX_RANGE_BLOCKS);
    const node = target();
    // From the second page on, the peer answers with the first page again (an endless loop before).
    const transport = peer(source, (from, reply) =>
      from === 1n
        ? reply
        : answerSyncRequest(
            source,
            encodeSyncRequest({ type: 'get-range', account: payer.pk, fromSeq: 1n, toSeq: 2n ** 63n }),
          ),
    );
    const sync = new LedgerSync({ target: node, transport }, { hasher: nativeSha256 });
    await sync.pullAccount('peer', payer.pk, { signal });
    expect(node.view.head(payer.pk)?.seq).toBe(BigInt(MAX_RANGE_BLOCKS));
    expect(transport.ranges).toBe(2);
    expect(sync.stats.invalidFromPeer).toBe(1);
  });

  it('ends a pull at a malformed page, keeping the pages before it', async () => {
    const source = longChain(3 * MAX_RANGE_BLOCKS);
    const node = target();
    const transport = peer(source, (from, reply) =>
      from === BigInt(2 * MAX_RANGE_BLOCKS + 1)
        ? encodeSyncResponse({ type: 'blocks', blocks: [Uint8Array.of(0x82, 0x40, 0x40)] })
        : reply,
    );
    const sync = new LedgerSync({ target: node, transport }, { hasher: nativeSha256 });
    await sync.pullAccount('peer', payer.pk, { signal });
    expect(node.view.head(payer.pk)?.seq).toBe(BigInt(2 * MAX_RANGE_BLOCKS));
    expect(node.handOvers).toEqual([2 * MAX_RANGE_BLOCKS]);
    expect(sync.stats.invalidFromPeer).toBe(1);
  });
});
