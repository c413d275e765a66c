// The ledger as one part of the node (DESIGN.md §3, §8): the store and view (LedgerService), its gossip and
// sync on the region's topic (LedgerNetwork), the payment sides the routing uses, and the account's opening.
// The account opens only after a first sync with peers, so a reinstall on a machine that owes finds the debt
// it inherits; until then this node neither pays nor takes paid work. CREDITs are claimed whenever a SETTLE
// paying this node arrives (on the infer stream, by gossip or sync).
import { TypedEventEmitter } from 'main-event';
import { BlockKind } from '../../../src-shared/ledger/block.ts';
import { bytesEqual } from '../../../src-shared/ledger/bytes.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import type { RegionId } from '../../../src-shared/regions/index.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import type { OgLibp2p } from '../p2p/p2p-service.ts';
import type { RequesterPayments, WorkerPayments } from '../routing/payments.ts';
import { ledgerComponentsFromIdentity } from './ledger-identity.ts';
import { LedgerNetwork } from './ledger-network.ts';
import { LedgerService } from './ledger-service.ts';
import { LedgerRequesterPayments } from './requester-payments.ts';
import type { SettlementOutcome } from './settlement-outcome.ts';
import { LedgerWorkerPayments, type WorkerPaymentsInit } from './worker-payments.ts';
import { LedgerOfflineError, LedgerStoppingError } from './errors.ts';

export interface NodeLedgerComponents {
  readonly identity: IdentityService;
  readonly params: LedgerParams;
  /** The SQLite file. */
  readonly dbPath: string;
  readonly log?: (line: string) => void;
}

export interface NodeLedgerInit {
  readonly antiEntropyMs?: number;
  /** Peers a new node syncs with before it opens its account. */
  readonly openSyncPeers?: number;
  /** How long to wait between attempts to sync before opening (no peer answered). */
  readonly openRetryMs?: number;
  /**
   * Open anyway after this long without a single successful sync (peers that do not speak ledger sync):
   * a node must not stay unable to pay forever. Logged, since debt from an earlier account may be missed.
   */
  readonly openWithoutSyncAfterMs?: number;
  readonly worker?: WorkerPaymentsInit;
}

export interface NodeLedgerEvents {
  /** The account is open: this node may pay and be paid. */
  opened: CustomEvent<void>;
  settlement: CustomEvent<SettlementOutcome>;
}

export class NodeLedger extends TypedEventEmitter<NodeLedgerEvents> {
  readonly service: LedgerService;
  readonly payments: { readonly worker: WorkerPayments; readonly requester: RequesterPayments };
  readonly #init: NodeLedgerInit;
  readonly #log: (line: string) => void;
  readonly #worker: LedgerWorkerPayments;
  readonly #requester: LedgerRequesterPayments;
  #reservationsRecovered = false;
  #network: LedgerNetwork | null = null;
  #libp2p: OgLibp2p | null = null;
  #openingStarted = false;
  #open = false;
  #controller = new AbortController();
  #claiming = false;

  constructor(components: NodeLedgerComponents, init: NodeLedgerInit = {}) {
    super();
    this.#init = init;
    this.#log = components.log ?? (() => {});
    const ledgerComponents = ledgerComponentsFromIdentity(components.identity);
    this.service = new LedgerService(ledgerComponents, {
      params: components.params,
      dbPath: components.dbPath,
    });
    const params = () => components.params;
    this.#worker = new LedgerWorkerPayments(
      {
        ledger: this.service,
        signer: ledgerComponents.signer,
        params,
        pullAccount: async (peer, account, signal) => {
          if (!this.#network) throw new LedgerOfflineError('the ledger is not on the network yet');
          return this.#network.sync.pullAccount(peer, account, { signal });
        },
      },
      init.worker,
    );
    this.#worker.addEventListener('settlement', (event) => {
      const s = event.detail;
      this.#log(
        s.kind === 'settled'
          ? `ledger: paid ${Number(s.amount) / 1e6} tokens by ${s.requester.slice(0, 12)}…`
          : `ledger: ${s.requester.slice(0, 12)}… did not settle (${s.kind}); its reputation here drops`,
      );
      this.safeDispatchEvent('settlement', { detail: s });
    });
    this.#worker.addEventListener('report', (event) => {
      void this.#network?.publishReport(event.detail);
    });
    const requester = new LedgerRequesterPayments({
      ledger: this.service,
      signer: ledgerComponents.signer,
      params,
      selfPeerId: components.identity.peerId.toString(),
    });
    this.#requester = requester;
    const ready = () => this.#open;
    // Until the account is open (first sync done), quotes are refused: an unsynced node could open without
    // the debt its machine owes, and could not check a requester's chain anyway.
    this.payments = {
      worker: {
        checkPayer: async (requesterInfo, signal) =>
          ready()
            ? this.#worker.checkPayer(requesterInfo, signal)
            : 'this node’s ledger is still catching up',
        knowsAccount: (account) => ready() && this.#worker.knowsAccount(account),
        quote: (requesterInfo, tier, request, shareholders) =>
          ready()
            ? this.#worker.quote(requesterInfo, tier, request, shareholders)
            : { ok: false, problem: 'this node’s ledger is still catching up' },
        // Quotes offered at the end of a reply for the requester's next request (issue 17).
        offerNext: (requesterInfo, tier, request, shareholders, limit) =>
          ready() ? this.#worker.offerNext(requesterInfo, tier, request, shareholders, limit) : null,
        takeOffered: (requesterInfo, tier, request, reserve) =>
          ready() ? this.#worker.takeOffered(requesterInfo, tier, request, reserve) : null,
      },
      requester: {
        pays: (peerId) => requester.pays(peerId),
        reputation: (peerId) => requester.reputation(peerId),
        prepare: (tier, request) => {
          if (!ready()) this.service.assertCanRequest(0n); // "no tokens yet" until the account opens
          return requester.prepare(tier, request);
        },
        reserve: (worker, tier, request, quote) => requester.reserve(worker, tier, request, quote),
        reserveQueued: (worker, tier, request, quote) =>
          requester.reserveQueued(worker, tier, request, quote),
        reserveAhead: (worker, tier, like, quote) =>
          ready() ? requester.reserveAhead(worker, tier, like, quote) : Promise.resolve(null),
      },
    };
  }

  /** The account is open. */
  get opened(): boolean {
    return this.#open;
  }

  async start(): Promise<void> {
    await this.service.start();
    if (!this.service.headsConsistentAtStart)
      this.#log('ledger: the cached heads differed from the blocks; recomputed them');
    this.service.addEventListener('ledger:changed', (event) => {
      const me = this.service.account;
      const paysMe = event.detail.some(
        (block) =>
          block.body.kind === BlockKind.SETTLE && block.body.outputs.some((o) => bytesEqual(o.payee, me)),
      );
      if (paysMe) this.#claimSoon();
    });
    const resumed = this.#worker.resumeJudgements();
    if (resumed > 0) this.#log(`ledger: ${resumed} judgement(s) of unsettled requesters resumed`);
    // An already-open account (a restart) needs no sync first.
    if (this.service.view.chain(this.service.account)) this.#markOpen();
  }

  async stop(): Promise<void> {
    await this.leave();
    this.#worker.stop();
    this.#requester.stop();
    await this.service.stop();
  }

  /** Off the network (before libp2p stops); the store stays open until stop(). */
  async leave(): Promise<void> {
    this.#controller.abort(new LedgerStoppingError('the ledger is stopping'));
    const network = this.#network;
    this.#network = null;
    await network?.stop();
  }

  /**
   * Go on the network of `region` (again, after the region changed): gossip and sync there, and open the
   * account after a first sync. Resolves once the network side runs; `whenOpen()` waits for the account.
   */
  async join(libp2p: OgLibp2p, region: RegionId | null): Promise<void> {
    this.#libp2p = libp2p;
    if (this.#network) await this.#network.stop();
    this.#network = null;
    if (region === null) return;
    const network = new LedgerNetwork(
      { libp2p, ledger: this.service },
      {
        region,
        ...(this.#init.antiEntropyMs !== undefined ? { antiEntropyMs: this.#init.antiEntropyMs } : {}),
      },
    );
    network.addEventListener('sync:error', (event) =>
      this.#log(`ledger: sync with ${event.detail.peer} failed: ${event.detail.error.message}`),
    );
    await network.start();
    this.#network = network;
    this.#recoverReservations();
    if (!this.#openingStarted) {
      this.#openingStarted = true;
      void this.#openAfterSync();
    }
  }

  /** Resolves when the account is open (tests and the CLI wait for it). */
  async whenOpen(signal?: AbortSignal): Promise<void> {
    while (!this.#open) {
      signal?.throwIfAborted();
      this.#controller.signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async #openAfterSync(): Promise<void> {
    const signal = this.#controller.signal;
    const retryMs = this.#init.openRetryMs ?? 5_000;
    const giveUpAt = Date.now() + (this.#init.openWithoutSyncAfterMs ?? 60_000);
    while (!this.#open && !signal.aborted) {
      const network = this.#network;
      const peers = this.#libp2p?.getPeers() ?? [];
      let synced = peers.length === 0;
      if (network && peers.length > 0) {
        await network.guardOwnChain({ signal });
        for (const peer of peers.slice(0, this.#init.openSyncPeers ?? 3)) {
          try {
            await network.syncWith(peer.toString(), { signal });
            synced = true;
          } catch (error) {
            this.#log(`ledger: first sync with ${peer.toString()} failed: ${String(error)}`);
          }
        }
      }
      if (!synced && Date.now() >= giveUpAt) {
        this.#log('ledger: no peer could share the ledger; opening the account without a first sync');
        synced = true;
      }
      if (synced && !signal.aborted) {
        try {
          const open = this.service.ensureOpen();
          if (open) {
            const balance = Number(open.body.balanceAfter) / 1e6;
            this.#log(
              `ledger: account opened with ${balance} tokens${open.body.balanceAfter < 0n ? ' (debt this machine owes from an earlier account)' : ''}`,
            );
          }
          this.#markOpen();
          this.#claimSoon();
          return;
        } catch (error) {
          this.#log(`ledger: could not open the account: ${String(error)}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
    }
  }

  /**
   * Once on the network (so the SETTLEs are gossiped): settle alone whatever reservations a crash or restart
   * left open, before this process makes any request of its own.
   */
  #recoverReservations(): void {
    if (this.#reservationsRecovered) return;
    this.#reservationsRecovered = true;
    try {
      const closed = this.#requester.settleOpenReservations();
      if (closed > 0) this.#log(`ledger: settled ${closed} reservation(s) left open by the last run`);
    } catch (error) {
      this.#log(`ledger: settling reservations left open failed: ${String(error)}`);
    }
  }

  #markOpen(): void {
    if (this.#open) return;
    this.#open = true;
    this.safeDispatchEvent('opened');
  }

  /** Claim every output paying this node, once per turn however many SETTLEs arrived together. */
  #claimSoon(): void {
    if (this.#claiming || !this.#open) return;
    this.#claiming = true;
    setImmediate(() => {
      this.#claiming = false;
      try {
        const credits = this.service.claimCredits();
        if (credits.length > 0) this.#log(`ledger: claimed ${credits.length} payment(s)`);
      } catch (error) {
        this.#log(`ledger: claiming payments failed: ${String(error)}`);
      }
    });
  }
}
