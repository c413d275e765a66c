// The ipc contract served by a real node (DESIGN.md §9): its calls (contract-handlers.ts) and its
// notifications (contract-publisher.ts), owned together so one close() stops both. The same object backs
// `/api/ws` of the headless node and the desktop app's Electron IPC (through serveNode's `wrap`).
import type { ContractHandlers, NotificationSource } from '../../../../src-shared/ipc/index.ts';
import type { RunningNode } from '../../running-node.ts';
import { ChatRequests } from './chat-requests.ts';
import { createContractHandlers, type LocalApiAccess, type NodeShell } from './contract-handlers.ts';
import { ContractPublisher } from './contract-publisher.ts';

export type { LocalApiAccess, NodeShell } from './contract-handlers.ts';

/** Calls and notifications: what a transport serves. */
export interface ContractSurface {
  readonly handlers: ContractHandlers<AbortSignal>;
  readonly notifications: NotificationSource;
}

export interface NodeContractInit {
  /** `desktop`: the Electron shell in front adds idle-only mode, start at login and updates. */
  readonly shell?: NodeShell;
  /** Where the local API listens and its key (getAppInfo shows them); null while it does not. */
  readonly localApi?: () => LocalApiAccess | null;
  /** Bugs (a handler or a publish that failed), to be logged with context. */
  readonly onInternalError?: (error: unknown, what: string) => void;
  /** How long ledger changes are gathered before the balance and earnings go out (a sync brings many). */
  readonly ledgerPublishDelayMs?: number;
}

export class NodeContract implements ContractSurface {
  readonly handlers: ContractHandlers<AbortSignal>;
  readonly #publisher: ContractPublisher;
  readonly #chats: ChatRequests;

  constructor(node: RunningNode, init: NodeContractInit = {}) {
    const onInternalError = init.onInternalError ?? (() => {});
    this.#publisher = new ContractPublisher(node, {
      onInternalError,
      ...(init.ledgerPublishDelayMs !== undefined ? { ledgerPublishDelayMs: init.ledgerPublishDelayMs } : {}),
    });
    this.#chats = new ChatRequests({
      gateway: () => node.chatGateway,
      publish: (event) => this.#publisher.publish('chat', event),
      selfPeerId: () => node.report().peerId,
      onInternalError,
    });
    this.handlers = createContractHandlers({
      node,
      publisher: this.#publisher,
      chats: this.#chats,
      shell: init.shell ?? 'headless',
      localApi: init.localApi ?? (() => null),
    });
  }

  /** The node's notifications (a shell in front may publish its own on the same hub: `update`). */
  get notifications(): ContractPublisher['hub'] {
    return this.#publisher.hub;
  }

  /** Publishes the node's current state now (otherwise it follows the node's events). */
  refresh(): void {
    this.#publisher.refresh();
  }

  /** Cancels running chats and stops following the node. */
  close(): void {
    this.#chats.cancelAll();
    this.#publisher.close();
  }
}
