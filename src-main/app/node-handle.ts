// What the desktop shell needs from the node: a way to serve and start it with the shell's contract in front,
// and to stop it. launch-node.ts provides it through serveNode; the shell never reaches into node services.
import type { ContractSurface } from '../node/local-api/serve-node.ts';

export type { ContractSurface } from '../node/local-api/serve-node.ts';

/**
 * Builds the shell's contract from the node's own calls and notifications (which never come back through the
 * shell). Called once, before the node starts onboarding, so the window can show onboarding as it happens.
 */
export type ShellFront = (own: ContractSurface) => ContractSurface;

export interface NodeHandle {
  /**
   * Serves the node (its local API and dashboard with the shell's contract in front) and starts onboarding;
   * resolves once the node runs (not necessarily `ready`). `front` has been called when it settles, even when
   * the node failed to start (then with a contract that says why).
   */
  start(front: ShellFront): Promise<void>;
  stop(): Promise<void>;
}

export interface LaunchNodeInit {
  readonly dataDir: string;
  readonly version: string;
  readonly log: (line: string) => void;
}

export type LaunchNode = (init: LaunchNodeInit) => Promise<NodeHandle>;
