// What became of one paid request on the worker's side. A leaf of its own so that the per-request session and
// the worker's payment service can both name it without importing each other.

/** How a requester's payment for one request ended, as the worker saw it. */
export type SettlementOutcome =
  | { readonly kind: 'settled'; readonly requester: string; readonly amount: bigint }
  | { readonly kind: 'unsettled'; readonly requester: string }
  | { readonly kind: 'fraud'; readonly requester: string };
