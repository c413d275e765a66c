// Shared test fixtures: deterministic accounts, network params, and helpers that sign blocks the way a node
// would (build from the validated state, sign, receive into a view).
import { ed25519 } from '@noble/curves/ed25519.js';
import type { Block, BlockBody } from '../../../src-shared/ledger/block.ts';
import { createBlock } from '../../../src-shared/ledger/block-codec.ts';
import {
  buildCredit,
  buildOpen,
  buildReserve,
  buildSettle,
  reserveTermsFor,
} from '../../../src-shared/ledger/block-builders.ts';
import { strictEd25519Verify } from '../../../src-shared/ledger/ed25519-strict.ts';
import {
  DEFAULT_LEDGER_PARAMS,
  MICRO_PER_TOKEN,
  type LedgerParams,
} from '../../../src-shared/ledger/ledger-params.ts';
import { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import { nobleSha256 } from '../../../src-shared/ledger/hash.ts';
import { domainHash, DOMAIN } from '../../../src-shared/ledger/hash.ts';
import { compareBytes } from '../../../src-shared/ledger/bytes.ts';

export interface TestAccount {
  readonly secret: Uint8Array;
  readonly pk: Uint8Array;
  readonly sign: (message: Uint8Array) => Uint8Array;
}

/** A deterministic account from a small number. */
export function testAccount(n: number): TestAccount {
  const secret = new Uint8Array(32);
  secret[0] = 0xa5;
  secret[1] = n & 0xff;
  secret[2] = (n >> 8) & 0xff;
  const pk = ed25519.getPublicKey(secret);
  return { secret, pk, sign: (m) => ed25519.sign(m, secret) };
}

export const NETWORK_ID = new Uint8Array(32).fill(0x42);
export const T0 = 1_800_000_000_000n;

/** Params with the given genesis (tokens) and one tier priced 1 µT... here 1,000 µT per work unit. */
export function testParams(
  genesis: readonly { account: TestAccount; tokens: bigint }[],
  overrides: Partial<LedgerParams> = {},
): LedgerParams {
  return {
    ...DEFAULT_LEDGER_PARAMS,
    networkId: NETWORK_ID,
    genesis: genesis.map((g) => ({ account: g.account.pk, amount: g.tokens * MICRO_PER_TOKEN })),
    prices: {
      'model-a': { pricePerUnit: 1_000n, promptWeight: 1n, completionWeight: 2n },
      'model-b': { pricePerUnit: 3_000n, promptWeight: 1n, completionWeight: 3n },
    },
    ...overrides,
  };
}

/** Params where `account` holds 1,000 tokens and may settle one request that takes it 2,000 tokens below zero. */
export function debtParams(account: TestAccount): LedgerParams {
  return testParams([{ account, tokens: 1_000n }], {
    floor: -2_000n * MICRO_PER_TOKEN,
    maxRequestCost: 3_000n * MICRO_PER_TOKEN,
  });
}

export function newView(params: LedgerParams): LedgerView {
  return new LedgerView({ params, verify: strictEd25519Verify });
}

export function sign(account: TestAccount, body: BlockBody): Block {
  return createBlock(body, (m) => account.sign(m), nobleSha256);
}

/** Sign and receive; throws when the view does not accept it (a test bug, not a rule under test). */
export function appendValid(view: LedgerView, account: TestAccount, body: BlockBody, now = T0): Block {
  const block = sign(account, body);
  const result = view.receive(block, now);
  if (result.verdict.status !== 'valid')
    throw new Error(`expected valid, got ${JSON.stringify(result.verdict)}`);
  return block;
}

/** Machine n's fingerprint: two strong-id hashes, the least that ties two accounts to one machine. */
export function fingerprintOf(n: number): Uint8Array[] {
  const second = new Uint8Array(32).fill(n & 0xff);
  second[31] = (n & 0xff) ^ 0x80;
  return [new Uint8Array(32).fill(n & 0xff), second];
}

export function openAccount(view: LedgerView, account: TestAccount, machine = 0, ts = T0): Block {
  const genesis = view.params.genesis.find((g) => compareBytes(g.account, account.pk) === 0)?.amount ?? 0n;
  return appendValid(
    view,
    account,
    buildOpen(
      view.params,
      account.pk,
      ts,
      { fingerprint: fingerprintOf(machine || account.pk[0]!), inherits: null },
      genesis,
    ),
    ts,
  );
}

/** An OPEN of `account` at `ts` with these machine hashes, no genesis and no inheritance. */
export function openWith(view: LedgerView, account: TestAccount, fingerprint: Uint8Array[], ts = T0): Block {
  return appendValid(
    view,
    account,
    buildOpen(view.params, account.pk, ts, { fingerprint, inherits: null }, 0n),
  );
}

export function requestIdOf(requester: TestAccount, nonce: number): Uint8Array {
  const data = new Uint8Array(36);
  data.set(requester.pk, 0);
  data[32] = nonce & 0xff;
  data[33] = (nonce >> 8) & 0xff;
  data[34] = (nonce >> 16) & 0xff;
  return domainHash(nobleSha256, DOMAIN.request, data);
}

/** 1,500 tokens of work (750,000 completion tokens × 2 units × 1,000 µT) that `debtor` pays `worker`. */
export function runIntoDebt(view: LedgerView, debtor: TestAccount, worker: TestAccount, nonce = 1) {
  return paidRequest(view, debtor, [{ account: worker, weight: 1n }], nonce, {
    maxPrompt: 0,
    maxCompletion: 750_000,
    prompt: 0,
    completion: 750_000,
  });
}

/** A whole paid request: RESERVE, SETTLE by the requester, CREDIT by every payee. Returns the blocks. */
export function paidRequest(
  view: LedgerView,
  requester: TestAccount,
  workers: readonly { account: TestAccount; weight: bigint }[],
  nonce: number,
  tokens: { maxPrompt: number; maxCompletion: number; prompt: number; completion: number },
  tier = 'model-a',
): { reserve: Block; settle: Block; credits: Block[] } {
  const requestId = requestIdOf(requester, nonce);
  const quoteId = new Uint8Array(32).fill(nonce & 0xff);
  const shares = [...workers]
    .map((w) => ({ pk: w.account.pk, weight: w.weight }))
    .sort((a, b) => compareBytes(a.pk, b.pk));
  const terms = reserveTermsFor(
    view.params,
    tier,
    quoteId,
    shares,
    tokens.maxPrompt,
    tokens.maxCompletion,
    T0 + 30_000n,
  );
  const reserve = appendValid(
    view,
    requester,
    buildReserve(view.params, view.chain(requester.pk)!, T0, {
      requestId,
      worker: workers[0]!.account.pk,
      maxPromptTokens: tokens.maxPrompt,
      maxCompletionTokens: tokens.maxCompletion,
      terms,
    }),
  );
  const state = view.chain(requester.pk)!;
  const reservation = state.open.get(Buffer.from(requestId).toString('hex'))!;
  const settle = appendValid(
    view,
    requester,
    buildSettle(
      view.params,
      state,
      T0,
      reservation,
      requestId,
      new Uint8Array(32).fill(7),
      tokens.prompt,
      tokens.completion,
    ),
  );
  const credits: Block[] = [];
  settle.body.outputs.forEach((output, index) => {
    const worker = workers.find((w) => compareBytes(w.account.pk, output.payee) === 0)!.account;
    credits.push(
      appendValid(
        view,
        worker,
        buildCredit(view.params, view.chain(worker.pk)!, T0, {
          settleId: settle.id,
          index,
          payer: requester.pk,
          requestId,
          amount: output.amount,
        }),
      ),
    );
  });
  return { reserve, settle, credits };
}

export function assertConserved(view: LedgerView): void {
  const c = view.conservation();
  if (c.balances + c.unclaimedOutputs + c.unopenedGenesis !== c.genesis) {
    throw new Error(
      `conservation broken: ${JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
    );
  }
}
