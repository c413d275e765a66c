// The contract's notifications: views of the node pushed whenever its status, its clusters' members, its
// engines or its ledger change. A view goes out only when it changed (the UI re-renders on each), bursts of
// events publish once, and ledger changes are gathered for a short delay (a sync brings many blocks).
import {
  createNotificationHub,
  MICRO_PER_TOKEN_NUMBER,
  type Balance,
  type ChatModel,
  type Earnings,
  type NotificationHub,
  type NotificationName,
  type NotificationPayload,
  type OnboardingStepId,
} from '../../../../src-shared/ipc/index.ts';
import { LedgerNotStartedError } from '../../ledger/errors.ts';
import type { LedgerReader, NodeStatus, RunningNode, RunningNodeEvents } from '../../running-node.ts';
import { balanceOf, earningsOf } from './earnings-view.ts';
import {
  chatModelsOf,
  clustersOf,
  tierModelsOf,
  enginesOf,
  modelOffersOf,
  onboardingOf,
  regionInfoOf,
  resourcesOf,
} from './node-views.ts';

/** Entries of the `earnings` notification (a page asks for more with getEarnings). */
const NOTIFIED_EARNINGS = 50;
const DEFAULT_LEDGER_PUBLISH_DELAY_MS = 250;
/** While a pause drains, how often the status is looked at again (a finished request fires no event). */
const DRAIN_FOLLOW_MS = 500;

export interface ContractPublisherInit {
  readonly onInternalError: (error: unknown, what: string) => void;
  /** How long ledger changes are gathered before the balance and earnings go out. */
  readonly ledgerPublishDelayMs?: number;
}

export class ContractPublisher {
  /** What the node's transports push. */
  readonly hub: NotificationHub = createNotificationHub();
  readonly #node: RunningNode;
  readonly #init: ContractPublisherInit;
  readonly #published = new Map<NotificationName, string>();
  #failedAt: OnboardingStepId | null = null;
  #lastStep: OnboardingStepId | null = null;
  #scheduled = false;
  #followedLedger: LedgerReader | null = null;
  #ledgerTimer: ReturnType<typeof setTimeout> | null = null;
  #drainTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(node: RunningNode, init: ContractPublisherInit) {
    this.#node = node;
    this.#init = init;
    node.addEventListener('status', this.#onStatus);
    node.addEventListener('member-change', this.scheduleRefresh);
    node.addEventListener('engine:state', this.scheduleRefresh);
    node.addEventListener('region', this.scheduleRefresh);
    node.addEventListener('model:state', this.scheduleRefresh);
  }

  /** The onboarding step that failed (the last one started before the node went to `error`). */
  get failedAt(): OnboardingStepId | null {
    return this.#failedAt;
  }

  publish<K extends NotificationName>(name: K, payload: NotificationPayload<K>): void {
    const text = JSON.stringify(payload);
    if (name !== 'chat' && this.#published.get(name) === text) return;
    try {
      this.hub.publish(name, payload);
      if (name !== 'chat') this.#published.set(name, text);
    } catch (error) {
      this.#init.onInternalError(error, `notification ${name}`);
    }
  }

  chatModels(): ChatModel[] {
    const node = this.#node;
    const servable = new Set((node.chatGateway?.models() ?? []).map((model) => model.tier));
    return chatModelsOf(modelOffersOf(node.networkConfig), servable, node.report().region);
  }

  balance(): Balance | null {
    const reader = this.#ledgerReader();
    return reader && balanceOf(reader.view, reader.account, reader.minimum, reader.heldAhead);
  }

  earnings(limit: number): Earnings | null {
    const reader = this.#ledgerReader();
    const config = this.#node.networkConfig;
    const modelOf = (tier: string): string | null =>
      modelOffersOf(config).find((offer) => offer.tier === tier)?.modelId ?? null;
    return reader && earningsOf(reader.view, reader.account, { limit, modelOf });
  }

  /** Publishes the node's current state now (otherwise it follows the node's events). */
  refresh(): void {
    this.#scheduled = false;
    const node = this.#node;
    const report = node.report();
    const config = node.networkConfig;
    this.publish('status', report.state);
    this.#followDrain(report.state);
    this.publish('onboarding', onboardingOf(report, node.profile, this.#failedAt));
    this.publish('resources', resourcesOf(node.profile, report, config));
    this.publish('region', regionInfoOf(report.region));
    this.publish('clusters', clustersOf(report, config));
    this.publish('tierModels', tierModelsOf(report));
    this.publish('engines', enginesOf(report, config));
    this.publish('chatModels', this.chatModels());
    this.#followLedger();
  }

  /** Many events arrive together (a join changes status, members and engines at once): publish once. */
  readonly scheduleRefresh = (): void => {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      if (this.#closed) return;
      try {
        this.refresh();
      } catch (error) {
        this.#scheduled = false;
        this.#init.onInternalError(error, 'publishing the node state');
      }
    });
  };

  close(): void {
    this.#closed = true;
    if (this.#ledgerTimer !== null) clearTimeout(this.#ledgerTimer);
    this.#ledgerTimer = null;
    if (this.#drainTimer !== null) clearTimeout(this.#drainTimer);
    this.#drainTimer = null;
    this.#followLedger();
    const node = this.#node;
    node.removeEventListener('status', this.#onStatus);
    node.removeEventListener('member-change', this.scheduleRefresh);
    node.removeEventListener('engine:state', this.scheduleRefresh);
    node.removeEventListener('region', this.scheduleRefresh);
    node.removeEventListener('model:state', this.scheduleRefresh);
  }

  readonly #onStatus = (event: RunningNodeEvents['status']): void => {
    const status = event.detail;
    if (status.status === 'onboarding') this.#lastStep = status.step;
    this.#failedAt = status.status === 'error' ? this.#lastStep : null;
    this.scheduleRefresh();
  };

  /** Until the requests a pause left running have finished, publish their count as it falls. */
  #followDrain(state: NodeStatus): void {
    if (this.#drainTimer !== null || this.#closed) return;
    if (state.status !== 'paused' || (state.finishingRequests ?? 0) === 0) return;
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = null;
      this.scheduleRefresh();
    }, DRAIN_FOLLOW_MS);
    this.#drainTimer.unref?.();
  }

  /** The started ledger with what the contract needs to read it, or null while the balance is unknown. */
  #ledgerReader() {
    this.#followLedger();
    const ledger = this.#node.ledger;
    const config = this.#node.networkConfig;
    if (ledger === null || config === null) return null;
    const minimum = BigInt(config.ledger.minBalanceToRequest) * BigInt(MICRO_PER_TOKEN_NUMBER);
    try {
      return { view: ledger.view, account: ledger.account, minimum, heldAhead: ledger.heldAhead() };
    } catch (error) {
      // Stopped under us (the node is stopping): the balance is no longer known.
      if (error instanceof LedgerNotStartedError) return null;
      throw error;
    }
  }

  #publishLedger = (): void => {
    this.#ledgerTimer = null;
    try {
      const current = this.balance();
      const recent = this.earnings(NOTIFIED_EARNINGS);
      if (current) this.publish('balance', current);
      if (recent) this.publish('earnings', recent);
    } catch (error) {
      this.#init.onInternalError(error, 'publishing the balance');
    }
  };

  // Blocks arrive in bursts (a chat writes RESERVE and SETTLE, a sync many): publish once per burst, at most
  // once per delay even under steady traffic.
  #onLedgerChanged = (): void => {
    if (this.#ledgerTimer !== null) return;
    this.#ledgerTimer = setTimeout(
      this.#publishLedger,
      this.#init.ledgerPublishDelayMs ?? DEFAULT_LEDGER_PUBLISH_DELAY_MS,
    );
    this.#ledgerTimer.unref?.();
  };

  /** The ledger appears once the node has started it: follow whichever one the node has now. */
  #followLedger(): void {
    const current = this.#closed ? null : this.#node.ledger;
    if (current === this.#followedLedger) return;
    this.#followedLedger?.removeEventListener('ledger:changed', this.#onLedgerChanged);
    this.#followedLedger = current;
    current?.addEventListener('ledger:changed', this.#onLedgerChanged);
    if (current) this.#onLedgerChanged();
  }
}
