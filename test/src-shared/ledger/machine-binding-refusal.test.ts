// Security findings 1 and 21: the machine binding must not let anyone freeze someone else's account, and
// honest fingerprint collisions (one shared disk, a cloned machine-id) must not link two accounts.
import { describe, expect, it } from 'vitest';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import { buildOpen } from '../../../src-shared/ledger/block-builders.ts';
import {
  debtParams,
  fingerprintOf,
  newView,
  openAccount,
  openWith,
  paidRequest,
  runIntoDebt,
  sign,
  T0,
  testAccount,
  testParams,
  type TestAccount,
} from './ledger-fixtures.ts';

const victim = testAccount(11);
const worker = testAccount(12);
const attacker = testAccount(13);
const funder = testAccount(14);

/** A small paid request (5 prompt and 5 completion tokens) from `payer` to `payee`. */
function smallPaidRequest(view: LedgerView, payer: TestAccount, payee: TestAccount, nonce: number): void {
  paidRequest(view, payer, [{ account: payee, weight: 1n }], nonce, {
    maxPrompt: 10,
    maxCompletion: 10,
    prompt: 5,
    completion: 5,
  });
}

describe('machine binding refusals', () => {
  it('does not freeze a funded account whose fingerprint a zero-balance account copied and then forked', () => {
    const params = testParams([{ account: victim, tokens: 5_000n }]);
    const view = newView(params);
    openAccount(view, victim, 50);
    openAccount(view, worker);
    // The attacker copies the victim's public hashes into its own OPEN, then signs a second OPEN: a fork.
    const copied = view.chain(victim.pk)!.fingerprint;
    const open = (ts: bigint) =>
      sign(attacker, buildOpen(params, attacker.pk, ts, { fingerprint: copied, inherits: null }, 0n));
    expect(view.receive(open(T0), T0).verdict.status).toBe('valid');
    expect(view.receive(open(T0 + 1n), T0).verdict.status).toBe('fork');
    expect(view.isRevoked(attacker.pk)).toBe(true);
    expect(view.serviceRefusal(attacker.pk)).toMatch(/revoked/);
    expect(view.serviceRefusal(victim.pk)).toBeNull();
    // And the victim still pays and is paid.
    smallPaidRequest(view, victim, worker, 1);
  });

  it('never refuses an account with genesis or earned credits because an older account on its machine is revoked', () => {
    const params = testParams([
      { account: funder, tokens: 5_000n },
      { account: victim, tokens: 2_000n },
    ]);
    const view = newView(params);
    // The attacker's account is older (its OPEN timestamp is earlier: timestamps of an OPEN are not proof)
    // and has real history (a credit paid by its own funded account), then forks and is revoked.
    openAccount(view, funder, 60);
    openWith(view, attacker, fingerprintOf(51), T0 - 10_000n);
    smallPaidRequest(view, funder, attacker, 1);
    const forked = sign(attacker, { ...view.blockAt(attacker.pk, 2n)!.body, ts: T0 + 5n });
    expect(view.receive(forked, T0).verdict.status).toBe('fork');
    expect(view.isRevoked(attacker.pk)).toBe(true);
    // Victims on "the same machine" (fingerprint 51): a genesis account and a worker that earned credits.
    openAccount(view, victim, 51);
    expect(view.serviceRefusal(victim.pk)).toBeNull();
    openAccount(view, worker, 51);
    smallPaidRequest(view, funder, worker, 2);
    expect(view.serviceRefusal(worker.pk)).toBeNull();
    // A fresh account with neither, newer than the revoked one, is the one debt and revocation follow.
    const fresh = testAccount(15);
    openAccount(view, fresh, 51);
    expect(view.serviceRefusal(fresh.pk)).toMatch(/revoked account/);
  });

  it('refuses only the newer of two accounts on an indebted machine', () => {
    const params = debtParams(funder);
    const view = newView(params);
    // An account opened before the debtor, on the same machine: it is not the one escaping the debt.
    const earlier = testAccount(16);
    openAccount(view, earlier, 52, T0 - 5_000n);
    openAccount(view, funder, 52);
    openAccount(view, worker);
    runIntoDebt(view, funder, worker);
    expect(view.balanceOf(funder.pk)).toBeLessThan(0n);
    expect(view.serviceRefusal(earlier.pk)).toBeNull();
    const later = testAccount(17);
    openAccount(view, later, 52, T0 + 5_000n);
    expect(view.serviceRefusal(later.pk)).toMatch(/debt/);
  });

  it('links no accounts on one shared id (an external disk, a cloned machine-id): two strong ids are needed', () => {
    const params = debtParams(funder);
    const view = newView(params);
    openAccount(view, funder, 53);
    openAccount(view, worker);
    runIntoDebt(view, funder, worker);
    // One of the debtor's two hashes, plus one of its own machine.
    const oneShared = [fingerprintOf(53)[0]!, fingerprintOf(54)[0]!];
    const other = testAccount(18);
    openWith(view, other, oneShared, T0 + 1n);
    expect(view.serviceRefusal(other.pk)).toBeNull();
    expect(view.matchingAccounts(oneShared)).toEqual([]);
    // A single-hash fingerprint (a machine that reports one id) never matches either.
    const single = testAccount(19);
    openWith(view, single, [fingerprintOf(53)[0]!], T0 + 1n);
    expect(view.serviceRefusal(single.pk)).toBeNull();
  });
});
