// Whether this node may start a request of its own (DESIGN.md §4 step 1), in words the user reads: no account
// yet, refused by the network's rules, too little available, or above the per-request maximum.
import { admission } from '../../../src-shared/ledger/economy.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import { formatTokens } from '../../../src-shared/ledger/token-amount.ts';
import { InsufficientBalanceError } from './errors.ts';

/**
 * Throw an InsufficientBalanceError unless `account` may start a request locking `maxCost` now. `heldAhead`
 * (µT reserved ahead of a request, held-ahead.ts) is named as available, as every balance shown does.
 */
export function assertCanRequest(
  params: LedgerParams,
  view: LedgerView,
  account: Uint8Array,
  maxCost: bigint,
  heldAhead: bigint,
): void {
  const refusal = view.serviceRefusal(account);
  const chain = view.chain(account);
  if (!chain)
    throw new InsufficientBalanceError(
      `no tokens yet: a request needs ${formatTokens(params.minAvailable)} tokens available; contribute compute to earn them`,
    );
  if (refusal) throw new InsufficientBalanceError(`requests refused: ${refusal}`);
  const reason = admission(params, chain.balance, chain.reserved, maxCost);
  const available = formatTokens(chain.balance - chain.reserved + heldAhead);
  if (reason === 'below-minimum')
    throw new InsufficientBalanceError(
      `balance below ${formatTokens(params.minAvailable)} tokens: ${available} available; contribute compute to earn more`,
    );
  if (reason === 'below-floor')
    throw new InsufficientBalanceError(
      `this request could cost more than your ${available} available tokens allow`,
    );
  if (reason === 'above-maximum')
    throw new InsufficientBalanceError(
      `this request could cost more than the network's per-request maximum of ${formatTokens(params.maxRequestCost)} tokens`,
    );
}
