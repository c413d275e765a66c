// Reports of requesters that did not settle (DESIGN.md §8, ref/ledger-design.md §4 step 8 without
// witnesses): a worker gossips the requester's own signed RESERVE and best ack on the region's reports topic.
// Every node judges the report against its own view, after pulling the requester's chain from the reporter,
// so a report about a requester that did settle costs it nothing. Judging runs off the gossip validator, in
// a bounded queue, and each sender's reports are rate-limited. Unsettled: the requester loses reputation
// here (once per reservation, also across restarts: judged reports are journaled in SQLite, and a report
// still queued at a stop is judged after the next start). Underpaid or released after acks: a fraud proof,
// which revokes it everywhere.
import { toHex } from '../../../src-shared/ledger/bytes.ts';
import {
  decodeNonSettlementReport,
  encodeNonSettlementReport,
  judgeNonSettlement,
  type NonSettlementFinding,
  type NonSettlementReport,
} from '../../../src-shared/ledger/payment/non-settlement.ts';
import type { GossipOutcome } from '../../../src-shared/ledger/validation-result.ts';
import type { LedgerService } from './ledger-service.ts';
import { createNativeVerifier, nativeSha256 } from './native-crypto.ts';
import type { SenderRateLimit } from './sender-rate-limit.ts';

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
  /** Reports whose ack is older than this are ignored (a restart forgets what it judged). */
  readonly maxReportAgeMs?: number;
  /** Reports waiting to be judged, at most (more are ignored until the queue drains). */
  readonly maxQueued?: number;
  /** Reports of one sender waiting to be judged, at most: one sender cannot fill the queue. */
  readonly maxQueuedPerSender?: number;
  /** Reports judged at once (each from another sender: a sender whose chain pulls stall holds one). */
  readonly concurrency?: number;
  /** Reports passed on per sender (security finding 11): beyond it they are ignored. */
  readonly perSender?: SenderRateLimit;
  readonly now?: () => number;
}

interface QueuedReport {
  readonly report: NonSettlementReport;
  /** The relaying peer to pull the requester's chain from; null for a report resumed after a restart. */
  readonly from: string | null;
}

/** The queue key of reports resumed from the journal (no sender to pull from). */
const RESUMED = '';

export class SettlementReports {
  readonly #components: SettlementReportsComponents;
  readonly #deadlineMs: bigint;
  readonly #pullTimeoutMs: number;
  readonly #maxRemembered: number;
  readonly #maxAgeMs: number;
  readonly #maxQueued: number;
  readonly #maxQueuedPerSender: number;
  readonly #concurrency: number;
  readonly #perSender: SenderRateLimit | null;
  readonly #now: () => number;
  readonly #verify = createNativeVerifier();
  readonly #judged = new Set<string>();
  /**
   * Reports waiting, per sender, served in turn (security finding 11: a flood from one peer, whose chain
   * pulls may stall until their timeout, must not delay the reports of others behind it).
   */
  readonly #queues = new Map<string, QueuedReport[]>();
  #queued = 0;
  /** Senders whose report is being judged now (one at a time each). */
  readonly #judging = new Map<string, Promise<void>>();
  #stopped = false;
  readonly #stopping = new AbortController();

  constructor(components: SettlementReportsComponents, init: SettlementReportsInit = {}) {
    this.#components = components;
    this.#deadlineMs = BigInt(init.settleDeadlineMs ?? 10 * 60_000);
    this.#pullTimeoutMs = init.pullTimeoutMs ?? 10_000;
    this.#maxRemembered = init.maxRemembered ?? 10_000;
    this.#maxAgeMs = init.maxReportAgeMs ?? 24 * 60 * 60_000;
    this.#maxQueued = init.maxQueued ?? 256;
    this.#maxQueuedPerSender = init.maxQueuedPerSender ?? 16;
    this.#concurrency = init.concurrency ?? 4;
    this.#perSender = init.perSender ?? null;
    this.#now = init.now ?? Date.now;
  }

  /**
   * A report from the topic (`from` relayed it). The validator only checks what costs nothing to check:
   * strict decoding, both signatures, that this node has not judged it, the sender's rate, its age. A report
   * that may hold is passed on at once and judged off the validation path (pulling the requester's chain,
   * writing reputation), one at a time (security finding 11).
   */
  onGossip(bytes: Uint8Array, from: string): GossipOutcome {
    const report = decodeNonSettlementReport(bytes, nativeSha256);
    if (report === null) return 'reject';
    const key = toHex(report.reserve.id);
    if (this.#judged.has(key)) return 'ignore';
    if (report.ack.body.ts + BigInt(this.#maxAgeMs) < BigInt(this.#now())) return 'ignore';
    if (this.#knownInJournal(report.reserve.id)) {
      this.#remember(key);
      return 'ignore';
    }
    if (this.#perSender && !this.#perSender.take(from)) return 'ignore';
    const finding = this.#judge(report);
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
      case 'unsettled':
        if (!this.#enqueue({ report, from }, from)) return 'ignore';
        this.#remember(key);
        return 'accept';
    }
  }

  /**
   * Judge the reports a previous run accepted but did not finish (they are in the journal), and forget those
   * too old to matter. Returns how many were queued again.
   */
  resume(): number {
    let queued = 0;
    try {
      const journal = this.#components.ledger.journal;
      journal.forgetReportsBefore(BigInt(this.#now() - this.#maxAgeMs));
      for (const kept of journal.queuedReports()) {
        const report = decodeNonSettlementReport(kept.report, nativeSha256);
        if (report === null) {
          journal.reportJudged(kept.reserveId);
          continue;
        }
        this.#remember(toHex(kept.reserveId));
        // Resumed reports are not limited per sender: a previous run accepted each of them already.
        this.#push({ report, from: null }, RESUMED);
        queued++;
      }
    } catch {
      // The store is closing or failed: nothing to resume.
    }
    this.#pump();
    return queued;
  }

  /** Stop judging (the node leaves the network); queued reports stay in the journal for resume(). */
  stop(): void {
    this.#stopped = true;
    this.#stopping.abort();
    try {
      for (const queue of this.#queues.values())
        for (const { report } of queue)
          this.#components.ledger.journal.keepReport(
            report.reserve.id,
            encodeNonSettlementReport(report),
            report.ack.body.ts,
          );
    } catch {
      // The store is already closed: these reports are lost (they were accepted moments ago).
    }
    this.#queues.clear();
    this.#queued = 0;
  }

  /** Reports waiting to be judged now, of all senders (tests, the footprint). */
  get queued(): number {
    return this.#queued;
  }

  /** Resolves when every queued report is judged (tests). */
  async idle(): Promise<void> {
    while (this.#judging.size > 0) await Promise.all(this.#judging.values());
  }

  /** Queue a report from the topic within the global and the per-sender bounds; false when full. */
  #enqueue(item: QueuedReport, sender: string): boolean {
    if (this.#queued >= this.#maxQueued) return false;
    if ((this.#queues.get(sender)?.length ?? 0) >= this.#maxQueuedPerSender) return false;
    this.#push(item, sender);
    this.#pump();
    return true;
  }

  #push(item: QueuedReport, sender: string): void {
    const queue = this.#queues.get(sender);
    if (queue) queue.push(item);
    else this.#queues.set(sender, [item]);
    this.#queued++;
  }

  /** Start judging the next report of each waiting sender not being judged, up to the concurrency. */
  #pump(): void {
    if (this.#stopped) return;
    for (const [sender, queue] of this.#queues) {
      if (this.#judging.size >= this.#concurrency) return;
      if (this.#judging.has(sender)) continue;
      const next = queue.shift()!;
      this.#queued--;
      // Served in turn: a sender with more waiting goes to the back of the line.
      this.#queues.delete(sender);
      if (queue.length > 0) this.#queues.set(sender, queue);
      const judging = this.#judgeQueued(next)
        .catch(() => undefined)
        .finally(() => {
          this.#judging.delete(sender);
          this.#pump();
        });
      this.#judging.set(sender, judging);
    }
  }

  async #judgeQueued(next: QueuedReport): Promise<void> {
    const { ledger } = this.#components;
    const { report, from } = next;
    const reserveId = report.reserve.id;
    try {
      // Kept before judging: a stop or crash from here on leaves it queued for resume().
      ledger.journal.keepReport(reserveId, encodeNonSettlementReport(report), report.ack.body.ts);
    } catch {
      return; // The store is closing or failed.
    }
    let finding = this.#judge(report);
    if (finding.status === 'unsettled' && from !== null) {
      // This node may simply not have seen the SETTLE yet: fetch the requester's chain before believing it.
      try {
        await this.#components.pullAccount(
          from,
          report.reserve.body.account,
          AbortSignal.any([AbortSignal.timeout(this.#pullTimeoutMs), this.#stopping.signal]),
        );
      } catch {
        // The chain as this node has it is what it judges by.
      }
      if (this.#stopped) return;
      finding = this.#judge(report);
    }
    try {
      if (finding.status === 'fraud') ledger.receiveFraudProof(finding.proof);
      // Only a reservation that exists in the requester's chain can have gone unpaid.
      else if (finding.status === 'unsettled' && ledger.view.block(reserveId))
        ledger.recordOutcome(finding.requester, 'failed');
      // 'pending' (a clock step) is judged again at the next start; the rest is done with.
      if (finding.status !== 'pending') ledger.journal.reportJudged(reserveId);
    } catch {
      // The store is closing or failed: the report stays queued in the journal.
    }
  }

  #judge(report: NonSettlementReport): NonSettlementFinding {
    return judgeNonSettlement(
      this.#components.ledger.view,
      report,
      BigInt(this.#now()),
      this.#deadlineMs,
      this.#verify,
      nativeSha256,
    );
  }

  #knownInJournal(reserveId: Uint8Array): boolean {
    try {
      return this.#components.ledger.journal.knowsReport(reserveId);
    } catch {
      return false;
    }
  }

  #remember(key: string): void {
    if (this.#judged.size >= this.#maxRemembered) this.#judged.clear();
    this.#judged.add(key);
  }
}
