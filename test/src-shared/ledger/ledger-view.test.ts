import { describe, expect, it } from 'vitest';
import { BlockKind } from '../../../src-shared/ledger/block.ts';
import {
  buildOpen,
  buildRelease,
  buildReserve,
  buildSettle,
  reserveTermsFor,
} from '../../../src-shared/ledger/block-builders.ts';
import { decodeBlock, encodeBlock } from '../../../src-shared/ledger/block-codec.ts';
import { toHex } from '../../../src-shared/ledger/bytes.ts';
import { MICRO_PER_TOKEN } from '../../../src-shared/ledger/ledger-params.ts';
import { verifyFraudProof } from '../../../src-shared/ledger/fraud-proof.ts';
import { strictEd25519Verify } from '../../../src-shared/ledger/ed25519-strict.ts';
import {
  appendValid,
  assertConserved,
  debtParams,
  fingerprintOf,
  newView,
  openAccount,
  openWith,
  paidRequest,
  requestIdOf,
  runIntoDebt,
  sign,
  T0,
  testAccount,
  testParams,
} from './ledger-fixtures.ts';

const gen = testAccount(1);
const worker = testAccount(2);
const newcomer = testAccount(3);

describe('LedgerView', () => {
  it('moves exactly the settled amount from requester to worker and conserves tokens', () => {
    const view = newView(testParams([{ account: gen, tokens: 5_000n }]));
    openAccount(view, gen);
    openAccount(view, worker);
    const { settle, credits } = paidRequest(view, gen, [{ account: worker, weight: 1n }], 1, {
      maxPrompt: 100,
      maxCompletion: 200,
      prompt: 40,
      completion: 90,
    });
    // model-a: 1,000 µT per unit, prompt weight 1, completion weight 2 → (40 + 180) × 1,000 µT.
    expect(settle.body.amount).toBe(-220_000n);
    expect(credits).toHaveLength(1);
    expect(view.balanceOf(gen.pk)).toBe(5_000n * MICRO_PER_TOKEN - 220_000n);
    expect(view.balanceOf(worker.pk)).toBe(220_000n);
    expect(view.chain(gen.pk)!.reserved).toBe(0n);
    assertConserved(view);
  });

  it('refuses a RESERVE below 1,000 tokens available, and one that would pass the floor', () => {
    const params = testParams([{ account: gen, tokens: 999n }]);
    const view = newView(params);
    openAccount(view, gen);
    openAccount(view, worker);
    const terms = reserveTermsFor(
      params,
      'model-a',
      new Uint8Array(32).fill(1),
      [{ pk: worker.pk, weight: 1n }],
      10,
      10,
      T0,
    );
    const body = buildReserve(params, view.chain(gen.pk)!, T0, {
      requestId: requestIdOf(gen, 1),
      worker: worker.pk,
      maxPromptTokens: 10,
      maxCompletionTokens: 10,
      terms,
    });
    expect(view.receive(sign(gen, body), T0).verdict).toMatchObject({ status: 'invalid' });
  });

  it('lets a settlement take the balance below zero, then refuses new requests until 1,000 is available', () => {
    const params = debtParams(gen);
    const view = newView(params);
    openAccount(view, gen);
    openAccount(view, worker);
    // 1,500 tokens = 750,000 completion tokens × 2 units × 1,000 µT.
    runIntoDebt(view, gen, worker);
    expect(view.balanceOf(gen.pk)).toBe(-500n * MICRO_PER_TOKEN);
    expect(() =>
      paidRequest(view, gen, [{ account: worker, weight: 1n }], 2, {
        maxPrompt: 1,
        maxCompletion: 1,
        prompt: 1,
        completion: 1,
      }),
    ).toThrow(/invalid/);
    assertConserved(view);
  });

  it('rejects a second RESERVE with a used requestId and a double CREDIT of one output', () => {
    const view = newView(testParams([{ account: gen, tokens: 5_000n }]));
    openAccount(view, gen);
    openAccount(view, worker);
    const { reserve, settle, credits } = paidRequest(view, gen, [{ account: worker, weight: 1n }], 1, {
      maxPrompt: 10,
      maxCompletion: 10,
      prompt: 5,
      completion: 5,
    });
    const state = view.chain(gen.pk)!;
    const body = {
      ...reserve.body,
      seq: BigInt(state.ids.length) + 1n,
      prev: view.head(gen.pk)!.id,
      balanceAfter: state.balance,
      reservedAfter: state.reserved + reserve.body.reservedAfter,
    };
    expect(view.receive(sign(gen, body), T0).verdict).toEqual({
      status: 'invalid',
      reason: 'requestId reserved before (replay)',
    });
    const wstate = view.chain(worker.pk)!;
    const credit = credits[0]!.body;
    const again = {
      ...credit,
      seq: BigInt(wstate.ids.length) + 1n,
      prev: view.head(worker.pk)!.id,
      balanceAfter: wstate.balance + credit.amount,
    };
    expect(view.receive(sign(worker, again), T0).verdict).toEqual({
      status: 'invalid',
      reason: 'output already claimed (replay)',
    });
    expect(settle.body.kind).toBe(BlockKind.SETTLE);
    assertConserved(view);
  });

  it('turns two bodies at one (account, seq) into a proof that verifies with no other state', () => {
    const view = newView(testParams([{ account: gen, tokens: 5_000n }]));
    openAccount(view, gen);
    openAccount(view, worker);
    const a = paidRequest(view, gen, [{ account: worker, weight: 1n }], 1, {
      maxPrompt: 10,
      maxCompletion: 10,
      prompt: 5,
      completion: 5,
    });
    const forked = sign(gen, { ...a.settle.body, linkId: new Uint8Array(32).fill(9) });
    const result = view.receive(forked, T0);
    expect(result.verdict.status).toBe('fork');
    expect(result.proof).not.toBeNull();
    expect(view.isRevoked(gen.pk)).toBe(true);
    expect(verifyFraudProof(result.proof!, view.params.networkId, strictEd25519Verify)).toBeNull();
    const fresh = newView(view.params);
    expect(fresh.addFraudProof(result.proof!)).toBe('new');
    expect(fresh.isRevoked(gen.pk)).toBe(true);
    expect(view.serviceRefusal(gen.pk)).toMatch(/revoked/);
  });

  it('calls a block seen before a duplicate, whether it was applied, kept as fork evidence or decoded anew', () => {
    const view = newView(testParams([{ account: gen, tokens: 5_000n }]));
    const open = openAccount(view, gen);
    openAccount(view, worker);
    const { settle } = paidRequest(view, gen, [{ account: worker, weight: 1n }], 1, {
      maxPrompt: 10,
      maxCompletion: 10,
      prompt: 5,
      completion: 5,
    });
    for (const block of [open, settle, decodeBlock(encodeBlock(settle))!])
      expect(view.receive(block, T0).verdict).toEqual({ status: 'duplicate' });
    const forked = sign(gen, { ...settle.body, linkId: new Uint8Array(32).fill(9) });
    expect(view.receive(forked, T0).verdict.status).toBe('fork');
    expect(view.receive(decodeBlock(encodeBlock(forked))!, T0).verdict).toEqual({ status: 'duplicate' });
    // Above the head nothing is a duplicate: the next block is judged on its merits.
    const chain = view.chain(gen.pk)!;
    expect(view.check(sign(gen, { ...settle.body, seq: settle.body.seq + 1n }), T0).status).toBe('partial');
    expect(chain.ids).toHaveLength(Number(settle.body.seq));
  });

  it('judges each block by its own account bytes, even when a caller reuses one array for two accounts', () => {
    const params = testParams([{ account: gen, tokens: 5_000n }]);
    const view = newView(params);
    // Two keys with the same first byte (the view caches account keys by array and first byte).
    const twin = testAccount(66);
    expect(twin.pk[0]).toBe(gen.pk[0]);
    const shared = Uint8Array.from(gen.pk);
    const open = (account: typeof gen, amount: bigint, machine: number) =>
      sign(account, {
        ...buildOpen(params, account.pk, T0, { fingerprint: fingerprintOf(machine), inherits: null }, amount),
        account: shared,
      });
    expect(view.receive(open(gen, 5_000n * MICRO_PER_TOKEN, 1), T0).verdict.status).toBe('valid');
    shared.set(twin.pk);
    expect(view.receive(open(twin, 0n, 2), T0).verdict.status).toBe('valid');
    expect(view.chain(twin.pk)?.ids).toHaveLength(1);
    expect(view.balanceOf(twin.pk)).toBe(0n);
  });

  it('keeps a block whose predecessor is missing and applies it when the predecessor arrives', () => {
    const source = newView(testParams([{ account: gen, tokens: 5_000n }]));
    const open = openAccount(source, gen);
    openAccount(source, worker);
    const w = openAccount(newView(source.params), worker);
    const { reserve, settle, credits } = paidRequest(source, gen, [{ account: worker, weight: 1n }], 1, {
      maxPrompt: 10,
      maxCompletion: 10,
      prompt: 5,
      completion: 5,
    });
    const view = newView(source.params);
    expect(view.receive(credits[0]!, T0).verdict.status).toBe('partial');
    expect(view.receive(settle, T0).verdict.status).toBe('partial');
    expect(view.receive(reserve, T0).verdict.status).toBe('partial');
    expect(view.receive(w, T0).verdict.status).toBe('valid');
    const last = view.receive(open, T0);
    expect(last.applied.map((b) => toHex(b.id))).toEqual(
      [open, reserve, settle, credits[0]!].map((b) => toHex(b.id)),
    );
    expect(view.pendingCount).toBe(0);
    assertConserved(view);
  });

  it('releases an expired reservation without moving tokens', () => {
    const params = testParams([{ account: gen, tokens: 5_000n }]);
    const view = newView(params);
    openAccount(view, gen);
    openAccount(view, worker);
    const requestId = requestIdOf(gen, 3);
    const terms = reserveTermsFor(
      params,
      'model-a',
      new Uint8Array(32).fill(3),
      [{ pk: worker.pk, weight: 1n }],
      10,
      10,
      T0 + 1000n,
    );
    appendValid(
      view,
      gen,
      buildReserve(params, view.chain(gen.pk)!, T0, {
        requestId,
        worker: worker.pk,
        maxPromptTokens: 10,
        maxCompletionTokens: 10,
        terms,
      }),
    );
    const reservation = view.chain(gen.pk)!.open.get(toHex(requestId))!;
    const early = buildRelease(params, view.chain(gen.pk)!, T0, reservation, requestId);
    expect(view.receive(sign(gen, early), T0).verdict).toMatchObject({ status: 'invalid' });
    appendValid(
      view,
      gen,
      buildRelease(params, view.chain(gen.pk)!, T0 + 1000n, reservation, requestId),
      T0 + 1000n,
    );
    expect(view.chain(gen.pk)!.reserved).toBe(0n);
    const late = buildSettle(
      params,
      view.chain(gen.pk)!,
      T0 + 1000n,
      reservation,
      requestId,
      new Uint8Array(32).fill(1),
      1,
      1,
    );
    expect(view.receive(sign(gen, late), T0 + 1000n).verdict).toMatchObject({ status: 'invalid' });
    expect(view.balanceOf(gen.pk)).toBe(5_000n * MICRO_PER_TOKEN);
  });

  it('makes a newcomer on an indebted machine inherit the debt, and refuses it service otherwise', () => {
    const params = debtParams(gen);
    const view = newView(params);
    openAccount(view, gen, 77);
    openAccount(view, worker);
    runIntoDebt(view, gen, worker);
    const debt = view.balanceOf(gen.pk);
    expect(debt).toBeLessThan(0n);
    // Same machine (fingerprint 77), new key, no inheritance: valid OPEN, but no service.
    const evader = testAccount(40);
    openWith(view, evader, fingerprintOf(77));
    expect(view.serviceRefusal(evader.pk)).toMatch(/debt/);
    // Claiming credit instead of debt is invalid.
    const head = view.head(gen.pk)!;
    const honest = newcomer;
    const greedy = buildOpen(
      params,
      honest.pk,
      T0,
      { fingerprint: fingerprintOf(77), inherits: { predecessor: gen.pk, seq: head.seq, head: head.id } },
      -debt,
    );
    expect(view.receive(sign(honest, greedy), T0).verdict).toEqual({
      status: 'invalid',
      reason: 'OPEN amount is not the inherited debt',
    });
    appendValid(view, honest, { ...greedy, amount: debt, balanceAfter: debt });
    expect(view.balanceOf(honest.pk)).toBe(debt);
    expect(view.balanceOf(gen.pk)).toBe(0n);
    expect(view.serviceRefusal(honest.pk)).toBeNull();
    assertConserved(view);
  });
});
