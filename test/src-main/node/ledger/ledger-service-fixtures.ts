// A real LedgerService for a test account, and a paid request written straight onto a service's own chain
// (RESERVE then SETTLE, as the requester side commits them), for tests that need history without a worker.
import type { Block } from '../../../../src-shared/ledger/block.ts';
import { buildReserve, buildSettle, reserveTermsFor } from '../../../../src-shared/ledger/block-builders.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import type { LedgerParams } from '../../../../src-shared/ledger/ledger-params.ts';
import { LedgerService } from '../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromSeed } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { fingerprintOf, T0, type TestAccount } from '../../../src-shared/ledger/ledger-fixtures.ts';

/** A (not yet started) service of `account` on `dbPath`, on machine `machine`, whose clock stands at T0. */
export function serviceFor(
  account: TestAccount,
  params: LedgerParams,
  dbPath: string,
  machine = account.pk[0]!,
): LedgerService {
  return new LedgerService(
    { signer: signerFromSeed(account.secret, account.pk), fingerprint: fingerprintOf(machine) },
    { params, dbPath, now: () => T0 },
  );
}

/** One request on the own chain: who was paid, what was reserved and used, and the bytes that name it. */
export interface OwnRequest {
  readonly requestId: Uint8Array;
  /** The worker's account (the one shareholder). */
  readonly worker: Uint8Array;
  readonly maxPrompt: number;
  readonly maxCompletion: number;
  readonly prompt: number;
  readonly completion: number;
  /** The quote the reservation's terms name. */
  readonly quoteId: Uint8Array;
  /** The digest of the output the SETTLE pays for. */
  readonly outputDigest: Uint8Array;
  /** Both blocks' timestamp (T0 by default). */
  readonly at?: bigint;
  /** When the reservation expires (`at` by default). */
  readonly expiresAt?: bigint;
}

/** RESERVE then SETTLE of `request` on `service`'s own chain, in the model-a tier. */
export function settleOwnRequest(
  service: LedgerService,
  params: LedgerParams,
  request: OwnRequest,
): { reserve: Block; settle: Block } {
  const at = request.at ?? T0;
  const { requestId } = request;
  const terms = reserveTermsFor(
    params,
    'model-a',
    request.quoteId,
    [{ pk: request.worker, weight: 1n }],
    request.maxPrompt,
    request.maxCompletion,
    request.expiresAt ?? at,
  );
  const reserve = service.appendOwn((state) =>
    buildReserve(params, state!, at, {
      requestId,
      worker: request.worker,
      maxPromptTokens: request.maxPrompt,
      maxCompletionTokens: request.maxCompletion,
      terms,
    }),
  );
  const settle = service.appendOwn((state) =>
    buildSettle(
      params,
      state!,
      at,
      state!.open.get(toHex(requestId))!,
      requestId,
      request.outputDigest,
      request.prompt,
      request.completion,
    ),
  );
  return { reserve, settle };
}
