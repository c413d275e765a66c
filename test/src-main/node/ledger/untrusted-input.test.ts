// Every decoder that sees peer bytes returns null (or an error response) on garbage and never throws:
// random bytes, and valid encodings with random bytes changed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { decodeFraudProof, encodeFraudProof, forkProof } from '../../../../src-shared/ledger/fraud-proof.ts';
import { createAck, decodeAck, encodeAck } from '../../../../src-shared/ledger/payment/ack.ts';
import { decodeNonSettlementReport } from '../../../../src-shared/ledger/payment/non-settlement.ts';
import { createQuote, decodeQuote, encodeQuote } from '../../../../src-shared/ledger/payment/quote.ts';
import {
  createReceipt,
  decodeReceipt,
  encodeReceipt,
} from '../../../../src-shared/ledger/payment/receipt.ts';
import {
  decodeSyncRequest,
  decodeSyncResponse,
  encodeSyncRequest,
} from '../../../../src-shared/ledger/sync/sync-messages.ts';
import { decodeMachineBinding } from '../../../../src-shared/ledger/machine-binding.ts';
import { decodeReserveTerms } from '../../../../src-shared/ledger/reserve-terms.ts';
import { answerSyncRequest } from '../../../../src-main/node/ledger/sync-answer.ts';
import {
  newView,
  openAccount,
  paidRequest,
  sign,
  T0,
  testAccount,
  testParams,
} from '../../../src-shared/ledger/ledger-fixtures.ts';

const a = testAccount(1);
const b = testAccount(2);
const view = newView(testParams([{ account: a, tokens: 5_000n }]));
openAccount(view, a);
openAccount(view, b);
const { reserve, settle } = paidRequest(view, a, [{ account: b, weight: 1n }], 1, {
  maxPrompt: 10,
  maxCompletion: 10,
  prompt: 5,
  completion: 5,
});
const net = view.params.networkId;
const samples: Uint8Array[] = [
  encodeBlock(settle),
  encodeBlock(reserve),
  encodeFraudProof(forkProof(settle, sign(a, { ...settle.body, linkId: new Uint8Array(32).fill(3) }))),
  encodeAck(
    createAck(
      {
        net,
        requester: a.pk,
        requestId: settle.body.requestId,
        reserveId: reserve.id,
        n: 3,
        outDigest: new Uint8Array(32),
        ts: T0,
      },
      a.sign,
    ),
  ),
  encodeQuote(
    createQuote(
      {
        net,
        requestId: settle.body.requestId,
        requester: a.pk,
        worker: b.pk,
        tier: 'model-a',
        shares: [{ pk: b.pk, weight: 1n }],
        maxPromptTokens: 1,
        maxCompletionTokens: 1,
        expiresAt: T0,
      },
      b.sign,
    ),
  ),
  encodeReceipt(
    createReceipt(
      {
        net,
        requestId: settle.body.requestId,
        reserveId: reserve.id,
        requester: a.pk,
        worker: b.pk,
        promptTokens: 1,
        completionTokens: 1,
        outDigest: new Uint8Array(32),
      },
      b.sign,
    ),
  ),
  encodeSyncRequest({ type: 'get-range', account: a.pk, fromSeq: 1n, toSeq: 5n }),
  reserve.body.extra,
];
const decoders: ((bytes: Uint8Array) => unknown)[] = [
  decodeBlock,
  decodeFraudProof,
  decodeAck,
  decodeQuote,
  decodeReceipt,
  decodeNonSettlementReport,
  decodeSyncRequest,
  decodeSyncResponse,
  decodeMachineBinding,
  decodeReserveTerms,
  (bytes) => answerSyncRequest(view, bytes),
];

describe('decoders of peer input', () => {
  it('never throw on random bytes or on mutated valid encodings (property)', () => {
    const mutated = fc
      .tuple(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      )
      .map(([sample, edits]) => {
        const copy = Uint8Array.from(sample);
        for (const [at, value] of edits) copy[at % copy.length] = value;
        return copy;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated), (bytes) => {
        for (const decode of decoders) expect(() => decode(bytes)).not.toThrow();
      }),
      { numRuns: 400 },
    );
  });

  it('decode every valid sample', () => {
    expect(decodeBlock(samples[0]!)).not.toBeNull();
    expect(decodeFraudProof(samples[2]!)).not.toBeNull();
    expect(decodeAck(samples[3]!)).not.toBeNull();
    expect(decodeQuote(samples[4]!)).not.toBeNull();
    expect(decodeReceipt(samples[5]!)).not.toBeNull();
    expect(decodeSyncRequest(samples[6]!)).not.toBeNull();
    expect(decodeReserveTerms(samples[7]!)).not.toBeNull();
  });
});
