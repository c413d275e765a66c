// Turns the user's pause, idle-only mode and the system idle state into pause/resume calls on the node,
// calling it only when the plan changes.
import type { NodeStatus } from '../../../src-shared/ipc/index.ts';
import type { ContractSurface } from '../node-handle.ts';
import { planContribution, type ContributionPlan } from './contribution-plan.ts';

export class ContributionController {
  readonly #node: Pick<ContractSurface, 'handlers'>;
  readonly #signal: AbortSignal;
  #userPaused: boolean;
  #idleOnly: boolean;
  #systemIdle = false;
  #applied: ContributionPlan | null = null;

  constructor(
    node: Pick<ContractSurface, 'handlers'>,
    initial: { userPaused: boolean; idleOnly: boolean },
    signal: AbortSignal,
  ) {
    this.#node = node;
    this.#userPaused = initial.userPaused;
    this.#idleOnly = initial.idleOnly;
    this.#signal = signal;
  }

  get userPaused(): boolean {
    return this.#userPaused;
  }

  setUserPaused(paused: boolean): Promise<NodeStatus> {
    this.#userPaused = paused;
    return this.apply();
  }

  setIdleOnly(idleOnly: boolean): Promise<NodeStatus> {
    this.#idleOnly = idleOnly;
    return this.apply();
  }

  setSystemIdle(idle: boolean): Promise<NodeStatus> {
    this.#systemIdle = idle;
    return this.apply();
  }

  /** Brings the node in line with the plan; returns the node's status afterwards. */
  async apply(): Promise<NodeStatus> {
    const plan = planContribution({
      userPaused: this.#userPaused,
      idleOnly: this.#idleOnly,
      systemIdle: this.#systemIdle,
    });
    const context = { signal: this.#signal };
    const same =
      this.#applied !== null &&
      this.#applied.contribute === plan.contribute &&
      (plan.contribute || (this.#applied.contribute === false && this.#applied.reason === plan.reason));
    if (same) return this.#node.handlers.getStatus(null, context);
    const status = plan.contribute
      ? await this.#node.handlers.resume(null, context)
      : await this.#node.handlers.pause({ reason: plan.reason }, context);
    this.#applied = plan;
    return status;
  }
}
