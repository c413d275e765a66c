// What the desktop shell needs from the node: the contract's handlers and notifications, and a lifecycle.
// The node's composition root (src-main/node/node.ts) provides it through an adapter; the shell never
// reaches into node services directly.
import type { ContractHandlers, NotificationSource } from '../../src-shared/ipc/index.ts';

export interface NodeHandle {
  readonly handlers: ContractHandlers<AbortSignal>;
  readonly notifications: NotificationSource;
  /** Starts onboarding; resolves once the node runs (not necessarily `ready`). Heavy work stays off the main thread. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LaunchNodeInit {
  readonly dataDir: string;
  readonly version: string;
  readonly log: (line: string) => void;
}

export type LaunchNode = (init: LaunchNodeInit) => Promise<NodeHandle>;
