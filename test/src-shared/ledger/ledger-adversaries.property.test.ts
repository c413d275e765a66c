// Property tests with adversarial accounts (issue 18, acceptance): whatever copied fingerprints, self-forks,
// zero-balance spam and blocks signed under a price-changing config revision arrive, in whatever order, every
// view conserves tokens exactly, the adversaries that forked are revoked, nothing they did is counted, and the
// honest accounts stay usable: all their blocks are applied, none is refused service, and each can still
// reserve when its balance admits it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Block } from '../../../src-shared/ledger/block.ts';
import { buildOpen, buildReserve, reserveTermsFor } from '../../../src-shared/ledger/block-builders.ts';
import { compareBytes } from '../../../src-shared/ledger/bytes.ts';
import { admission } from '../../../src-shared/ledger/economy.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import {
  fingerprintOf,
  newView,
  openAccount,
  paidRequest,
  requestIdOf,
  sign,
  T0,
  testAccount,
  testParams,
  type TestAccount,
} from './ledger-fixtures.ts';

const requesters = [testAccount(201), testAccount(202)];
const workers = [testAccount(203), testAccount(204)];
const honest = [...requesters, ...workers];
const forker = testAccount(205);
const params = testParams([
  { account: requesters[0]!, tokens: 3_000n },
  { account: requesters[1]!, tokens: 2_000n },
  { account: forker, tokens: 1_500n },
]);
// The same network after a revision that doubled model-a's price (one judge-config-update refuses).
const repriced: LedgerParams = {
  ...params,
  prices: { ...params.prices, 'model-a': { ...params.prices['model-a']!, pricePerUnit: 2_000n } },
};

const scenario = fc.record({
  requests: fc.array(
    fc.record({
      requester: fc.integer({ min: 0, max: 1 }),
      worker: fc.integer({ min: 0, max: 1 }),
      used: fc.integer({ min: 0, max: 100 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  copycats: fc.array(fc.record({ victim: fc.integer({ min: 0, max: 3 }), fork: fc.boolean() }), {
    maxLength: 3,
  }),
  spam: fc.integer({ min: 0, max: 6 }),
  forkerForks: fc.boolean(),
  repricedReserve: fc.boolean(),
  order: fc.integer(),
});

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function reserveBody(view: LedgerView, p: LedgerParams, who: TestAccount, nonce: number, tokens: number) {
  const terms = reserveTermsFor(
    p,
    'model-a',
    new Uint8Array(32).fill(nonce),
    [{ pk: workers[0]!.pk, weight: 1n }],
    0,
    tokens,
    T0 + 30_000n,
  );
  return buildReserve(p, view.chain(who.pk)!, T0, {
    requestId: requestIdOf(who, nonce),
    worker: workers[0]!.pk,
    maxPromptTokens: 0,
    maxCompletionTokens: tokens,
    terms,
  });
}

describe('the ledger under adversarial accounts', () => {
  it('conserves tokens exactly and keeps honest accounts usable (property)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        // The honest history, built where it happened.
        const source = newView(params);
        const honestBlocks: Block[] = honest.map((a, i) => openAccount(source, a, 10 + i));
        for (const [k, r] of s.requests.entries()) {
          const requester = requesters[r.requester]!;
          const chain = source.chain(requester.pk)!;
          if (admission(params, chain.balance, chain.reserved, 200_000n * 1_000n) !== null) continue;
          const { reserve, settle, credits } = paidRequest(
            source,
            requester,
            [{ account: workers[r.worker]!, weight: 1n }],
            k + 1,
            { maxPrompt: 0, maxCompletion: 200_000, prompt: 0, completion: r.used * 2_000 },
          );
          honestBlocks.push(reserve, settle, ...credits);
        }

        // The adversaries.
        const adversarial: Block[] = [];
        const revokedExpected: Uint8Array[] = [];
        for (const [i, c] of s.copycats.entries()) {
          const copycat = testAccount(220 + i);
          const copied = fingerprintOf(10 + c.victim);
          const open = (ts: bigint) =>
            sign(copycat, buildOpen(params, copycat.pk, ts, { fingerprint: copied, inherits: null }, 0n));
          adversarial.push(open(T0 - 1_000n));
          if (c.fork) {
            adversarial.push(open(T0 - 999n));
            revokedExpected.push(copycat.pk);
          }
        }
        for (let i = 0; i < s.spam; i++) {
          const spammer = testAccount(230 + i);
          adversarial.push(
            sign(
              spammer,
              buildOpen(params, spammer.pk, T0, { fingerprint: fingerprintOf(60 + i), inherits: null }, 0n),
            ),
          );
        }
        const forkerSource = newView(params);
        const forkerOpen = openAccount(forkerSource, forker, 70);
        adversarial.push(forkerOpen);
        if (s.repricedReserve)
          adversarial.push(sign(forker, reserveBody(forkerSource, repriced, forker, 90, 1_000)));
        if (s.forkerForks) {
          adversarial.push(sign(forker, reserveBody(forkerSource, params, forker, 91, 1_000)));
          adversarial.push(sign(forker, reserveBody(forkerSource, params, forker, 92, 2_000)));
          revokedExpected.push(forker.pk);
        }

        // Everything arrives at a fresh node in some order.
        const view = newView(params);
        for (const block of shuffled([...honestBlocks, ...adversarial], s.order)) {
          view.receive(block, T0);
          const c = view.conservation();
          expect(c.balances + c.unclaimedOutputs + c.unopenedGenesis).toBe(c.genesis);
        }

        for (const block of honestBlocks) expect(view.block(block.id)).toBeDefined();
        for (const account of revokedExpected) expect(view.isRevoked(account)).toBe(true);
        for (const account of honest) {
          expect(view.isRevoked(account.pk)).toBe(false);
          expect(view.balanceOf(account.pk)).toBe(source.balanceOf(account.pk));
          const chain = view.chain(account.pk)!;
          const funded = chain.balance > 0n;
          if (funded) expect(view.serviceRefusal(account.pk)).toBeNull();
          // Usable: a RESERVE the balance admits is valid in this view.
          if (admission(params, chain.balance, chain.reserved, 1_000n * 1_000n) === null) {
            const next = sign(account, reserveBody(view, params, account, 200, 1_000));
            expect(view.check(next, T0).status).toBe('valid');
          }
        }
        // The repriced RESERVE never counts: the forker's reserved amount is only what its own rules allow.
        const forkerChain = view.chain(forker.pk);
        if (s.repricedReserve && !s.forkerForks) expect(forkerChain?.reserved ?? 0n).toBe(0n);
        expect(
          [...view.accounts()].filter((a) => compareBytes(a, forker.pk) === 0).length,
        ).toBeLessThanOrEqual(1);
      }),
      { numRuns: Number(process.env.LEDGER_SIM_RUNS ?? 25) },
    );
  }, 120_000);
});
