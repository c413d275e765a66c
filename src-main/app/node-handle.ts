// What the desktop shell needs from the node: the contract's handlers and notifications, and a lifecycle.
// The node's composition root (src-main/node/node.ts) provides it through an adapter; the shell never
// reaches into node services directly.
import type { ContractHandlers, NotificationSource } from '../../src-shared/ipc/index.ts';

/** The shell's own version of the contract (its pause, settings and updates wrapped around the node's). */
export interface ShellContract {
  readonly handlers: ContractHandlers<AbortSignal>;
  readonly notifications: NotificationSource;
}

export interface NodeHandle {
  /** The node's own calls: what the shell builds on (they never come back through the shell). */
  readonly handlers: ContractHandlers<AbortSignal>;
  readonly notifications: NotificationSource;
  /**
   * Serve the shell's contract on the node's local API (`/api/ws`, its browser dashboard) as well, so a pause
   * there is saved and shown like one from the window or the tray. Null serves the node's own again.
   */
  serve(shell: ShellContract | null): void;
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
