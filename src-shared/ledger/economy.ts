// The economy rules of DESIGN.md §8 as pure functions: cost from the tier price, and admission of a request.
import type { LedgerParams, TierPrice } from './ledger-params.ts';

/** Work units of a request: prompt and completion tokens, each weighted by the tier. */
export function workUnits(price: TierPrice, promptTokens: number, completionTokens: number): bigint {
  return BigInt(promptTokens) * price.promptWeight + BigInt(completionTokens) * price.completionWeight;
}

/** Cost in µT = the tier's price × work units. */
export function requestCost(price: TierPrice, promptTokens: number, completionTokens: number): bigint {
  return price.pricePerUnit * workUnits(price, promptTokens, completionTokens);
}

export type AdmissionRefusal = 'below-minimum' | 'below-floor' | 'above-maximum';

/**
 * May an account with this balance and reserved amount lock `maxCost` more? It needs ≥ minAvailable
 * available before, and must stay ≥ floor after, counting the new reservation in full.
 */
export function admission(
  params: Pick<LedgerParams, 'minAvailable' | 'floor' | 'maxRequestCost'>,
  balance: bigint,
  reserved: bigint,
  maxCost: bigint,
): AdmissionRefusal | null {
  if (maxCost > params.maxRequestCost) return 'above-maximum';
  const available = balance - reserved;
  if (available < params.minAvailable) return 'below-minimum';
  if (available - maxCost < params.floor) return 'below-floor';
  return null;
}
