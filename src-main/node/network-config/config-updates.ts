// Network config updates (DESIGN.md §5): a newer config, signed M-of-N by the founders of the config this node
// runs, arriving on `/og/2/config` replaces the stored one. Everything else on the topic is dropped; what is
// malformed, another network's or not signed by our founders is rejected, which lowers the sender's gossipsub
// score (the topic is in the scored list built from gossip-topics.ts).
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub';
import { TypedEventEmitter } from '@libp2p/interface';
import type { NetworkConfig, SignedNetworkConfig } from '../../../src-shared/network-config/index.ts';
import { CONFIG_TOPIC } from '../../../src-shared/protocol/index.ts';
import type { Locations } from '../locations.ts';
import type { OgLibp2p } from '../p2p/p2p-service.ts';
import { writeFileAtomic } from '../storage/atomic-write.ts';
import { nodeEd25519Verify } from './ed25519.ts';
import { NetworkConfigUpdateRefusedError } from './errors.ts';
import {
  encodeConfigUpdate,
  judgeConfigUpdate,
  judgeSignedConfigUpdate,
  type ConfigUpdateVerdict,
} from './judge-config-update.ts';
import { serializeSignedNetworkConfig } from './sign-network-config.ts';

export interface ConfigUpdatesComponents {
  /** The started libp2p node (gossipsub as `pubsub`). */
  readonly libp2p: OgLibp2p;
  readonly locations: Pick<Locations, 'networkConfig'>;
}

export interface ConfigUpdatesInit {
  /** The verified config the node started with (the stored copy). */
  readonly current: NetworkConfig;
}

export interface ConfigUpdated {
  readonly config: NetworkConfig;
  readonly previousRevision: number;
  /** Who published it (a founder's node, or any node passing it on); 'self' when published here. */
  readonly publisher: string;
}

export interface ConfigUpdateRefused {
  /** The gossipsub sender that handed it to us (whose score drops when `penalised`). */
  readonly from: string;
  readonly reason: string;
  readonly penalised: boolean;
}

export interface ConfigUpdatesEvents {
  /** A newer config was verified and stored; the node should apply it (bootstrap list, tiers, prices). */
  'config:updated': CustomEvent<ConfigUpdated>;
  /** A message on the topic was dropped (stale revision, malformed, forged) or could not be stored. */
  'config:refused': CustomEvent<ConfigUpdateRefused>;
}

export class ConfigUpdates extends TypedEventEmitter<ConfigUpdatesEvents> {
  readonly #libp2p: OgLibp2p;
  readonly #storePath: string;
  #current: NetworkConfig;
  #started = false;
  /** Adoptions run one at a time, so two updates arriving together can never store out of order. */
  #adopting: Promise<void> = Promise.resolve();
  readonly #onMessage = (event: CustomEvent<Message>): void => {
    if (event.detail.topic === CONFIG_TOPIC) this.#receive(event.detail);
  };

  constructor(components: ConfigUpdatesComponents, init: ConfigUpdatesInit) {
    super();
    this.#libp2p = components.libp2p;
    this.#storePath = components.locations.networkConfig;
    this.#current = init.current;
  }

  /** The config in force: the one started with, or the latest update adopted. */
  get current(): NetworkConfig {
    return this.#current;
  }

  start(): Promise<void> {
    if (this.#started) return Promise.resolve();
    this.#started = true;
    const pubsub = this.#libp2p.services.pubsub;
    pubsub.topicValidators.set(CONFIG_TOPIC, (from, message) => this.#validate(from.toString(), message));
    pubsub.addEventListener('message', this.#onMessage);
    pubsub.subscribe(CONFIG_TOPIC);
    return Promise.resolve();
  }

  /** Stops listening; an adoption under way finishes storing first. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    const pubsub = this.#libp2p.services.pubsub;
    pubsub.unsubscribe(CONFIG_TOPIC);
    pubsub.topicValidators.delete(CONFIG_TOPIC);
    pubsub.removeEventListener('message', this.#onMessage);
    await this.#adopting;
  }

  /**
   * Adopt `signed` here and gossip it to the network (a founder pushing a new revision). Throws
   * NetworkConfigUpdateRefusedError when it would not be accepted by the nodes running the current config.
   */
  async publish(signed: SignedNetworkConfig, options: { signal?: AbortSignal } = {}): Promise<void> {
    const verdict = judgeSignedConfigUpdate(this.#current, signed, nodeEd25519Verify);
    if (verdict.verdict !== 'accept') throw new NetworkConfigUpdateRefusedError(verdict.reason);
    options.signal?.throwIfAborted();
    await this.#enqueue(verdict, 'self');
    await this.#libp2p.services.pubsub.publish(CONFIG_TOPIC, encodeConfigUpdate(verdict.signed));
  }

  #validate(from: string, message: Message): TopicValidatorResult {
    const verdict = judgeConfigUpdate(this.#current, message.data, nodeEd25519Verify);
    switch (verdict.verdict) {
      case 'accept':
        return TopicValidatorResult.Accept;
      case 'ignore':
        this.safeDispatchEvent('config:refused', {
          detail: { from, reason: verdict.reason, penalised: false },
        });
        return TopicValidatorResult.Ignore;
      case 'reject':
        this.safeDispatchEvent('config:refused', {
          detail: { from, reason: verdict.reason, penalised: true },
        });
        return TopicValidatorResult.Reject;
    }
  }

  #receive(message: Message): void {
    // Accepted by the validator a moment ago; judging again yields the decoded document (and sees any update
    // adopted in between).
    const verdict = judgeConfigUpdate(this.#current, message.data, nodeEd25519Verify);
    const publisher = message.type === 'signed' ? message.from.toString() : 'unknown';
    this.#enqueue(verdict, publisher).catch(() => {
      // Reported through 'config:refused'.
    });
  }

  #enqueue(verdict: ConfigUpdateVerdict, publisher: string): Promise<void> {
    const run = this.#adopting.then(() => this.#adopt(verdict, publisher));
    this.#adopting = run.catch(() => {
      // Reported through 'config:refused'; the queue goes on.
    });
    return run;
  }

  async #adopt(verdict: ConfigUpdateVerdict, publisher: string): Promise<void> {
    if (verdict.verdict !== 'accept') return;
    const previous = this.#current;
    // An update adopted while this one waited may have made it stale.
    if (verdict.config.revision <= previous.revision) return;
    try {
      // Store first: the running node and its data directory never disagree about the config in force.
      await writeFileAtomic(this.#storePath, serializeSignedNetworkConfig(verdict.signed), 0o644);
    } catch (error) {
      this.safeDispatchEvent('config:refused', {
        detail: {
          from: publisher,
          reason: `revision ${verdict.config.revision} could not be stored: ${String(error)}`,
          penalised: false,
        },
      });
      throw error;
    }
    this.#current = verdict.config;
    this.safeDispatchEvent('config:updated', {
      detail: { config: verdict.config, previousRevision: previous.revision, publisher },
    });
  }
}
