// What validating one block derives from it (its decoded `extra`, its map keys), computed at most once and
// reused by each step: the stand-alone rules, the chain rules and applying the block. Decoding `extra` and
// building keys again at every step was a large part of the cost of validating a block.
import type { Block } from './block.ts';
import { mapKey, mapKeyWithIndex, toHex } from './bytes.ts';
import { readMachineBinding, type MachineBinding } from './machine-binding.ts';
import { readReserveTerms, type ReserveTerms } from './reserve-terms.ts';

/** Lazily derived facts about one block. Its byte fields must not change while the facts are in use. */
export class BlockFacts {
  readonly block: Block;
  #binding: MachineBinding | null | undefined;
  #terms: ReserveTerms | null | undefined;
  #requestHex: string | undefined;
  #requestKey: string | undefined;
  #claimKey: string | undefined;
  #idKey: string | undefined;
  #accountKey: string | undefined;

  /** `accountKey`: mapKey(block.body.account), when the caller has it already. */
  constructor(block: Block, accountKey?: string) {
    this.block = block;
    this.#accountKey = accountKey;
  }

  /** The OPEN's machine binding, or null when `extra` is not a valid one. */
  get binding(): MachineBinding | null {
    if (this.#binding === undefined) this.#binding = readMachineBinding(this.block.body.extra);
    return this.#binding;
  }

  /** The RESERVE's terms, or null when `extra` is not valid terms. */
  get terms(): ReserveTerms | null {
    if (this.#terms === undefined) this.#terms = readReserveTerms(this.block.body.extra);
    return this.#terms;
  }

  /** toHex(requestId): the key of ChainState.open. */
  get requestHex(): string {
    return (this.#requestHex ??= toHex(this.block.body.requestId));
  }

  /** mapKey(requestId): the key of ChainState.reservedRequests. */
  get requestKey(): string {
    return (this.#requestKey ??= mapKey(this.block.body.requestId));
  }

  /** mapKeyWithIndex(linkId, linkIndex) of a CREDIT: the key of ChainState.claimed. */
  get claimKey(): string {
    return (this.#claimKey ??= mapKeyWithIndex(this.block.body.linkId, this.block.body.linkIndex));
  }

  /** mapKey(id). */
  get idKey(): string {
    return (this.#idKey ??= mapKey(this.block.id));
  }

  /** mapKey(account). */
  get accountKey(): string {
    return (this.#accountKey ??= mapKey(this.block.body.account));
  }
}
