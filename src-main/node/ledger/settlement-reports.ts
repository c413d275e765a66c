// Reports of requesters that did not settle (DESIGN.md §8, ref/ledger-design.md §4 step 8 without
// witnesses): a worker gossips the requester's own signed RESERVE and best ack on the region's reports topic.
// Every node judges the report against its own view, after pulling the requester's chain from the reporter,
// so a report about a requester that did settle costs it nothing. Unsettled: the requester loses reputation
// here (once per reservation). Underpaid or released after acks: a fraud proof, which revokes it everywhere.
import { toHex } from '../../../src-shared/ledger/bytes.ts';
import {
  decodeNonSettlementReport,
  judgeNonSettlement,
} from '../../../src-shared/ledger/payment/non-settlement.ts';
import type { GossipOutcome } from '../../../src-shared/ledger/validation-result.ts';
import type { LedgerService } from './ledger-service.ts';
import { createNativeVerifier, nativeSha256 } from './native-crypto.ts';

export interface SettlementReportsComponents {
  readonly ledger: LedgerService;
  /** Fetch an account's chain from a peer (ledger sync). */
  readonly pullAccount: (peer: string, account: Uint8Array, signal: AbortSignal) => Promise<unknown>;
}

export interface SettlementReportsInit {
  /** How long after its last ack a requester has to settle. */
  readonly settleDeadlineMs?: number;
  readonly pullTimeoutMs?: number;
  /** Reservations remembered as already judged. */
  readonly maxRemembered?: number;
  readonly now?: () => number;
}

export class SettlementReports {
  readonly #components: SettlementReportsComponents;
  readonly #deadlineMs: bigint;
  readonly #pullTimeoutMs: number;
  readonly #maxRemembered: number;
  readonly #now: () => number;
  readonly #verify = createNativeVerifier();
  readonly #judged = new Set<string>();

  constructor(components: SettlementReportsComponents, init: SettlementReportsInit = {}) {
    this.#components = components;
    this.#deadlineMs = BigInt(init.settleDeadlineMs ?? 10 * 60_000);
    this.#pullTimeoutMs = init.pullTimeoutMs ?? 10_000;
    this.#maxRemembered = init.maxRemembered ?? 10_000;
    this.#now = init.now ?? Date.now;
  }

  /** A report from the topic (`from` relayed it): accept what holds, reject what cannot, ignore the rest. */
  async onGossip(bytes: Uint8Array, from: string): Promise<GossipOutcome> {
    const { ledger } = this.#components;
    const report = decodeNonSettlementReport(bytes, nativeSha256);
    if (report === null) return 'reject';
    const key = toHex(report.reserve.id);
    if (this.#judged.has(key)) return 'ignore';
    const judge = () =>
      judgeNonSettlement(
        ledger.view,
        report,
        BigInt(this.#now()),
        this.#deadlineMs,
        this.#verify,
        nativeSha256,
      );
    let finding = judge();
    if (finding.status === 'unsettled') {
      // This node may simply not have seen the SETTLE yet: fetch the requester's chain before believing it.
      try {
        await this.#components.pullAccount(
          from,
          report.reserve.body.account,
          AbortSignal.timeout(this.#pullTimeoutMs),
        );
      } catch {
        // The chain as this node has it is what it judges by.
      }
      finding = judge();
    }
    switch (finding.status) {
      case 'invalid':
        return 'reject';
      case 'pending':
        return 'ignore';
      case 'settled':
        // Paid after all (or the reporter is wrong): nothing to pass on.
        this.#remember(key);
        return 'ignore';
      case 'fraud':
        this.#remember(key);
        ledger.receiveFraudProof(finding.proof);
        return 'accept';
      case 'unsettled':
        this.#remember(key);
        ledger.recordOutcome(finding.requester, 'failed');
        return 'accept';
    }
  }

  #remember(key: string): void {
    if (this.#judged.size >= this.#maxRemembered) this.#judged.clear();
    this.#judged.add(key);
  }
}
