// The worker's quote (ref/ledger-design.md §4 step 1): who is paid in what ratio, the token maxima and the
// expiry, signed by the worker. The requester's RESERVE copies it into ReserveTerms; the worker then checks
// that RESERVE against the requester's chain before running anything.
import type { Block } from '../block.ts';
import { BlockKind } from '../block.ts';
import { bytesEqual, compareBytes, toHex } from '../bytes.ts';
import { precheckEd25519, type SignatureVerifier } from '../ed25519-strict.ts';
import { DOMAIN, domainHash, nobleSha256, type Hasher } from '../hash.ts';
import type { LedgerParams } from '../ledger-params.ts';
import type { LedgerView } from '../ledger-view.ts';
import { reserveTermsFor } from '../block-builders.ts';
import { decodeReserveTerms, MAX_SHARES, type ReserveTerms, type ShareTerm } from '../reserve-terms.ts';
import {
  asArray,
  asBytes,
  asText,
  asU32,
  asU64,
  decodeCanonical,
  encodeCanonical,
  SchemaError,
} from '../strict-cbor.ts';

export interface QuoteBody {
  readonly net: Uint8Array;
  readonly requestId: Uint8Array;
  readonly requester: Uint8Array;
  readonly worker: Uint8Array;
  readonly tier: string;
  /** Sorted by pk; the worker alone, or each shard node of an EXO instance with its weight. */
  readonly shares: readonly ShareTerm[];
  readonly maxPromptTokens: number;
  readonly maxCompletionTokens: number;
  readonly expiresAt: bigint;
}

export interface Quote {
  readonly body: QuoteBody;
  readonly bodyBytes: Uint8Array;
  /** H("OG/v1/quote\0" || bodyBytes): the RESERVE's linkId. */
  readonly id: Uint8Array;
  readonly sig: Uint8Array;
}

const MAX_QUOTE_BYTES = 2048;

function toCbor(q: QuoteBody): unknown[] {
  return [
    q.net,
    q.requestId,
    q.requester,
    q.worker,
    q.tier,
    q.shares.map((s) => [s.pk, s.weight]),
    q.maxPromptTokens,
    q.maxCompletionTokens,
    q.expiresAt,
  ];
}

function fromCbor(value: unknown): QuoteBody {
  const f = asArray(value, 'quote', 9);
  const shares = asArray(f[5], 'shares', undefined, MAX_SHARES).map((entry) => {
    const s = asArray(entry, 'share', 2);
    return { pk: asBytes(s[0], 'pk', 32), weight: asU64(s[1], 'weight') };
  });
  if (shares.length === 0) throw new SchemaError('quote: no shares');
  for (let i = 0; i < shares.length; i++) {
    if (shares[i]!.weight === 0n) throw new SchemaError('quote: zero weight');
    if (i > 0 && compareBytes(shares[i - 1]!.pk, shares[i]!.pk) >= 0)
      throw new SchemaError('quote: shares not sorted');
  }
  return {
    net: asBytes(f[0], 'net', 32),
    requestId: asBytes(f[1], 'requestId', 32),
    requester: asBytes(f[2], 'requester', 32),
    worker: asBytes(f[3], 'worker', 32),
    tier: asText(f[4], 'tier', 32),
    shares,
    maxPromptTokens: asU32(f[6], 'maxPromptTokens'),
    maxCompletionTokens: asU32(f[7], 'maxCompletionTokens'),
    expiresAt: asU64(f[8], 'expiresAt'),
  };
}

export function createQuote(
  body: QuoteBody,
  sign: (m: Uint8Array) => Uint8Array,
  hasher: Hasher = nobleSha256,
): Quote {
  const sorted = { ...body, shares: [...body.shares].sort((a, b) => compareBytes(a.pk, b.pk)) };
  const bodyBytes = encodeCanonical(toCbor(sorted));
  const id = domainHash(hasher, DOMAIN.quote, bodyBytes);
  return { body: sorted, bodyBytes, id, sig: sign(id) };
}

export function encodeQuote(quote: Quote): Uint8Array {
  return encodeCanonical([quote.bodyBytes, quote.sig]);
}

export function decodeQuote(bytes: Uint8Array, hasher: Hasher = nobleSha256): Quote | null {
  const outer = decodeCanonical(
    bytes,
    MAX_QUOTE_BYTES,
    (v) => {
      const f = asArray(v, 'quote envelope', 2);
      return {
        bodyBytes: asBytes(f[0], 'quote body', undefined, MAX_QUOTE_BYTES),
        sig: asBytes(f[1], 'sig', 64),
      };
    },
    (v) => [v.bodyBytes, v.sig],
  );
  if (outer === null) return null;
  const body = decodeCanonical(outer.bodyBytes, MAX_QUOTE_BYTES, fromCbor, toCbor);
  if (body === null) return null;
  return {
    body,
    bodyBytes: outer.bodyBytes,
    id: domainHash(hasher, DOMAIN.quote, outer.bodyBytes),
    sig: outer.sig,
  };
}

export function verifyQuote(quote: Quote, networkId: Uint8Array, verify: SignatureVerifier): boolean {
  return (
    bytesEqual(quote.body.net, networkId) &&
    precheckEd25519(quote.sig, quote.body.worker) &&
    verify(quote.sig, quote.id, quote.body.worker)
  );
}

/** The ReserveTerms a RESERVE for this quote must carry (network price for the tier). */
export function termsForQuote(params: LedgerParams, quote: Quote): ReserveTerms {
  const q = quote.body;
  return reserveTermsFor(
    params,
    q.tier,
    quote.id,
    q.shares,
    q.maxPromptTokens,
    q.maxCompletionTokens,
    q.expiresAt,
  );
}

/**
 * The worker's check before running a request: the RESERVE is valid in its view (so admission held), belongs
 * to the quoted requester and request, carries exactly the quote's terms, the quote has not expired and the
 * requester is not refused service (revoked, or on a machine that owes debt). Null when it may run.
 */
export function checkReservation(
  view: LedgerView,
  reserve: Block,
  quote: Quote,
  nowMs: bigint,
): string | null {
  const b = reserve.body;
  if (b.kind !== BlockKind.RESERVE) return 'not a RESERVE';
  if (!bytesEqual(b.account, quote.body.requester) || !bytesEqual(b.requestId, quote.body.requestId))
    return 'RESERVE for another requester or request';
  if (!bytesEqual(b.linkId, quote.id)) return 'RESERVE for another quote';
  if (nowMs > quote.body.expiresAt) return 'quote expired';
  if (b.promptTokens !== quote.body.maxPromptTokens || b.completionTokens !== quote.body.maxCompletionTokens)
    return 'RESERVE token maxima differ from the quote';
  const terms = decodeReserveTerms(b.extra);
  if (terms === null) return 'RESERVE terms unreadable';
  let expected: ReserveTerms;
  try {
    expected = termsForQuote(view.params, quote);
  } catch {
    return 'no network price for the quoted tier';
  }
  if (
    terms.tier !== expected.tier ||
    terms.maxCost !== expected.maxCost ||
    terms.pricePerUnit !== expected.pricePerUnit ||
    terms.expiresAt !== expected.expiresAt ||
    terms.shares.length !== expected.shares.length ||
    terms.shares.some(
      (s, i) => !bytesEqual(s.pk, expected.shares[i]!.pk) || s.weight !== expected.shares[i]!.weight,
    )
  )
    return 'RESERVE terms differ from the quote';
  const known = view.block(reserve.id);
  if (!known) return 'RESERVE not valid in this node’s view of the requester’s chain';
  const open = view.chain(b.account)?.open.get(toHex(b.requestId));
  if (!open || !bytesEqual(open.reserveId, reserve.id)) return 'reservation no longer open';
  return view.serviceRefusal(b.account);
}
