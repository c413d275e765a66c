// One paid request end to end on the message side: quote → RESERVE checked by the worker → cumulative acks
// within the allowance → co-signed receipt → SETTLE → CREDIT; and the evidence when the requester cheats.
import { describe, expect, it } from 'vitest';
import {
  buildCredit,
  buildRelease,
  buildReserve,
  buildSettle,
} from '../../../../src-shared/ledger/block-builders.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import { strictEd25519Verify } from '../../../../src-shared/ledger/ed25519-strict.ts';
import { verifyFraudProof } from '../../../../src-shared/ledger/fraud-proof.ts';
import { createAck, decodeAck, encodeAck, type Ack } from '../../../../src-shared/ledger/payment/ack.ts';
import { ackDue, AckWindow } from '../../../../src-shared/ledger/payment/ack-window.ts';
import {
  decodeNonSettlementReport,
  encodeNonSettlementReport,
  judgeNonSettlement,
} from '../../../../src-shared/ledger/payment/non-settlement.ts';
import {
  checkReservation,
  createQuote,
  decodeQuote,
  encodeQuote,
  termsForQuote,
  verifyQuote,
} from '../../../../src-shared/ledger/payment/quote.ts';
import {
  coSignReceipt,
  createReceipt,
  decodeReceipt,
  encodeReceipt,
  verifyReceipt,
} from '../../../../src-shared/ledger/payment/receipt.ts';
import {
  appendValid,
  assertConserved,
  newView,
  openAccount,
  requestIdOf,
  T0,
  testAccount,
  testParams,
} from '../ledger-fixtures.ts';

const requester = testAccount(1);
const worker = testAccount(2);
const shard = testAccount(3);

function setup() {
  const params = testParams([{ account: requester, tokens: 5_000n }]);
  const view = newView(params);
  openAccount(view, requester);
  openAccount(view, worker);
  openAccount(view, shard);
  const requestId = requestIdOf(requester, 1);
  const quote = createQuote(
    {
      net: params.networkId,
      requestId,
      requester: requester.pk,
      worker: worker.pk,
      tier: 'model-b',
      shares: [
        { pk: worker.pk, weight: 2n },
        { pk: shard.pk, weight: 1n },
      ],
      maxPromptTokens: 100,
      maxCompletionTokens: 200,
      expiresAt: T0 + 30_000n,
    },
    worker.sign,
  );
  return { params, view, requestId, quote };
}

function ack(requestId: Uint8Array, reserveId: Uint8Array, n: number, net: Uint8Array): Ack {
  return createAck(
    {
      net,
      requester: requester.pk,
      requestId,
      reserveId,
      n,
      outDigest: new Uint8Array(32).fill(n & 0xff),
      ts: T0,
    },
    requester.sign,
  );
}

describe('payment flow', () => {
  it('pays the worker and the shard node exactly the settled amount, split by weight', () => {
    const { params, view, requestId, quote } = setup();
    const wire = decodeQuote(encodeQuote(quote))!;
    expect(verifyQuote(wire, params.networkId, strictEd25519Verify)).toBe(true);
    const terms = termsForQuote(params, wire);
    const reserve = appendValid(
      view,
      requester,
      buildReserve(params, view.chain(requester.pk)!, T0, {
        requestId,
        worker: worker.pk,
        maxPromptTokens: 100,
        maxCompletionTokens: 200,
        terms,
      }),
    );
    expect(checkReservation(view, reserve, wire, T0)).toBeNull();
    expect(checkReservation(view, reserve, wire, T0 + 31_000n)).toBe('quote expired');

    const window = new AckWindow({
      networkId: params.networkId,
      requester: requester.pk,
      requestId,
      reserveId: reserve.id,
      allowance: params.allowance,
      verify: strictEd25519Verify,
    });
    let received = 0;
    while (window.sent < 150) {
      const chunk = Math.min(window.budget, 16, 150 - window.sent);
      expect(chunk).toBeGreaterThan(0);
      window.onSent(chunk);
      const before = received;
      received += chunk;
      if (ackDue(before, received, params.ackEvery, received === 150)) {
        expect(
          window.onAck(decodeAck(encodeAck(ack(requestId, reserve.id, received, params.networkId)))!),
        ).toBeNull();
      }
    }
    expect(window.acknowledged).toBe(150);

    const receipt = coSignReceipt(
      createReceipt(
        {
          net: params.networkId,
          requestId,
          reserveId: reserve.id,
          requester: requester.pk,
          worker: worker.pk,
          promptTokens: 80,
          completionTokens: 150,
          outDigest: new Uint8Array(32),
        },
        worker.sign,
      ),
      requester.sign,
    );
    const back = decodeReceipt(encodeReceipt(receipt))!;
    expect(verifyReceipt(back, params.networkId, strictEd25519Verify)).toBe(true);
    const state = view.chain(requester.pk)!;
    const settle = appendValid(
      view,
      requester,
      buildSettle(params, state, T0, state.open.get(toHex(requestId))!, requestId, back.id, 80, 150),
    );
    // model-b: 3,000 µT × (80 + 3 × 150) = 1,590,000 µT, split 2:1.
    expect(settle.body.amount).toBe(-1_590_000n);
    const byPayee = new Map(
      settle.body.outputs.map((o, i) => [toHex(o.payee), { amount: o.amount, index: i }]),
    );
    expect(byPayee.get(toHex(worker.pk))!.amount).toBe(1_060_000n);
    expect(byPayee.get(toHex(shard.pk))!.amount).toBe(530_000n);
    for (const payee of [worker, shard]) {
      const out = byPayee.get(toHex(payee.pk))!;
      appendValid(
        view,
        payee,
        buildCredit(params, view.chain(payee.pk)!, T0, {
          settleId: settle.id,
          index: out.index,
          payer: requester.pk,
          requestId,
          amount: out.amount,
        }),
      );
    }
    expect(view.balanceOf(worker.pk) + view.balanceOf(shard.pk)).toBe(1_590_000n);
    expect(
      judgeNonSettlement(
        view,
        { reserve, ack: window.bestAck! },
        T0 + 10n ** 9n,
        600_000n,
        strictEd25519Verify,
      ),
    ).toEqual({ status: 'settled' });
    assertConserved(view);
  });

  it('stops a worker at the allowance when acks stop, and refuses stale, foreign or inflated acks', () => {
    const { params, view, requestId, quote } = setup();
    const reserve = appendValid(
      view,
      requester,
      buildReserve(params, view.chain(requester.pk)!, T0, {
        requestId,
        worker: worker.pk,
        maxPromptTokens: 100,
        maxCompletionTokens: 200,
        terms: termsForQuote(params, quote),
      }),
    );
    const window = new AckWindow({
      networkId: params.networkId,
      requester: requester.pk,
      requestId,
      reserveId: reserve.id,
      allowance: 64,
      verify: strictEd25519Verify,
    });
    window.onSent(32);
    expect(window.onAck(ack(requestId, reserve.id, 40, params.networkId))).toBe('beyond-sent');
    expect(window.onAck(ack(requestId, reserve.id, 32, params.networkId))).toBeNull();
    expect(window.onAck(ack(requestId, reserve.id, 32, params.networkId))).toBe('not-increasing');
    expect(window.onAck(ack(requestIdOf(requester, 2), reserve.id, 33, params.networkId))).toBe(
      'other-request',
    );
    expect(window.onAck(ack(requestId, reserve.id, 33, new Uint8Array(32)))).toBe('bad-signature');
    window.onSent(64);
    expect(window.budget).toBe(0);
    expect(() => window.onSent(1)).toThrow(RangeError);
    expect(window.sent - window.acknowledged).toBe(64);
  });

  it('turns an underpaying SETTLE or a RELEASE after acks into a fraud proof, and silence into an unsettled finding', () => {
    const { params, view, requestId, quote } = setup();
    const terms = termsForQuote(params, quote);
    const reserve = appendValid(
      view,
      requester,
      buildReserve(params, view.chain(requester.pk)!, T0, {
        requestId,
        worker: worker.pk,
        maxPromptTokens: 100,
        maxCompletionTokens: 200,
        terms,
      }),
    );
    const best = ack(requestId, reserve.id, 96, params.networkId);
    const report = decodeNonSettlementReport(encodeNonSettlementReport({ reserve, ack: best }))!;
    expect(judgeNonSettlement(view, report, T0 + 1_000n, 600_000n, strictEd25519Verify)).toEqual({
      status: 'pending',
    });
    expect(judgeNonSettlement(view, report, T0 + 600_000n, 600_000n, strictEd25519Verify)).toMatchObject({
      status: 'unsettled',
    });

    const fresh = newView(params);
    const state = view.chain(requester.pk)!;
    const under = appendValid(
      view,
      requester,
      buildSettle(
        params,
        state,
        T0,
        state.open.get(toHex(requestId))!,
        requestId,
        new Uint8Array(32).fill(5),
        80,
        10,
      ),
    );
    const finding = judgeNonSettlement(view, report, T0 + 600_000n, 600_000n, strictEd25519Verify);
    expect(finding.status).toBe('fraud');
    if (finding.status === 'fraud') {
      expect(verifyFraudProof(finding.proof, params.networkId, strictEd25519Verify)).toBeNull();
      expect(fresh.addFraudProof(finding.proof)).toBe('new');
      expect(fresh.isRevoked(requester.pk)).toBe(true);
    }
    expect(under.body.completionTokens).toBe(10);

    // A RELEASE after acknowledged tokens.
    const requestId2 = requestIdOf(requester, 2);
    const quote2 = createQuote({ ...quote.body, requestId: requestId2, expiresAt: T0 }, worker.sign);
    const reserve2 = appendValid(
      view,
      requester,
      buildReserve(params, view.chain(requester.pk)!, T0, {
        requestId: requestId2,
        worker: worker.pk,
        maxPromptTokens: 100,
        maxCompletionTokens: 200,
        terms: termsForQuote(params, quote2),
      }),
    );
    const s2 = view.chain(requester.pk)!;
    appendValid(view, requester, buildRelease(params, s2, T0, s2.open.get(toHex(requestId2))!, requestId2));
    const released = judgeNonSettlement(
      view,
      { reserve: reserve2, ack: ack(requestId2, reserve2.id, 5, params.networkId) },
      T0,
      600_000n,
      strictEd25519Verify,
    );
    expect(released).toMatchObject({ status: 'fraud', proof: { type: 'release-after-ack' } });
    // A forged ack (signed by the worker, not the requester) proves nothing.
    const forged = createAck({ ...best.body }, worker.sign);
    expect(
      judgeNonSettlement(view, { reserve, ack: forged }, T0 + 600_000n, 600_000n, strictEd25519Verify),
    ).toMatchObject({ status: 'invalid' });
  });
});
