// The block format of ref/ledger-design.md §2, phase 1 (DESIGN.md §8). Every account has its own chain of
// these; money moves only as a SETTLE output claimed by the payee's CREDIT.

/** Block kinds. FORCED (5) and MIGRATE (6) of the reference are reserved for the witness phase. */
export const BlockKind = { OPEN: 0, RESERVE: 1, SETTLE: 2, CREDIT: 3, RELEASE: 4 } as const;
export type BlockKind = (typeof BlockKind)[keyof typeof BlockKind];

export const BLOCK_KIND_NAMES: Readonly<Record<BlockKind, string>> = {
  0: 'OPEN',
  1: 'RESERVE',
  2: 'SETTLE',
  3: 'CREDIT',
  4: 'RELEASE',
};

export const BLOCK_FORMAT_VERSION = 1;

/** One payment of a SETTLE: `units` are the payee's verifiable work units, `amount` its µT. */
export interface Output {
  readonly payee: Uint8Array;
  readonly amount: bigint;
  readonly units: bigint;
}

/** The signed part of a block; encoded as one CBOR array in exactly this field order. */
export interface BlockBody {
  readonly v: number;
  readonly net: Uint8Array;
  /** Chain owner = signer (raw Ed25519 public key). */
  readonly account: Uint8Array;
  /** 1, 2, 3, …; seq 1 is the OPEN. */
  readonly seq: bigint;
  /** Id of block seq − 1; ZERO32 for seq 1. */
  readonly prev: Uint8Array;
  readonly kind: BlockKind;
  /** Creator's clock, ms since the epoch. */
  readonly ts: bigint;
  /** The request this block belongs to (RESERVE, SETTLE, CREDIT, RELEASE); ZERO32 otherwise. */
  readonly requestId: Uint8Array;
  /** RESERVE: the worker; CREDIT: the payer; else ZERO32. */
  readonly counterparty: Uint8Array;
  /** RESERVE: quote id; SETTLE: receipt id; CREDIT: the SETTLE block id; RELEASE: the RESERVE block id. */
  readonly linkId: Uint8Array;
  /** CREDIT: index into the SETTLE's outputs; else 0. */
  readonly linkIndex: number;
  /** Signed change of the balance: SETTLE −Σoutputs, CREDIT +output, OPEN its starting balance, else 0. */
  readonly amount: bigint;
  /** SETTLE only: sorted by payee, amounts > 0. */
  readonly outputs: readonly Output[];
  /** RESERVE: the maximum; SETTLE: the actual count; else 0. */
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly balanceAfter: bigint;
  readonly reservedAfter: bigint;
  /** Kind-specific CBOR: OPEN MachineBinding, RESERVE ReserveTerms; else empty. ≤ 1024 bytes. */
  readonly extra: Uint8Array;
}

/** A block as it travels and is stored: the canonical body bytes and the signature over its id. */
export interface Block {
  readonly body: BlockBody;
  /** The canonical CBOR of body, exactly as signed. */
  readonly bodyBytes: Uint8Array;
  /** H(domain || bodyBytes). Not covering the signature: forks are defined on bodies. */
  readonly id: Uint8Array;
  readonly sig: Uint8Array;
}
