// What a requester remembers of members that refused it or failed it (findings 7 and 9 of
// ref/security-findings.md): any key can announce "ready, capacity 1024, load 0" and refuse every request,
// and before this a refusal cost it nothing beyond that one request. Each refusal now weighs on the member for
// a while (halving every `halfLifeMs`), so selection leaves it aside while members that serve are free.

export interface RefusalMemoryInit {
  /** Default 60 s. */
  readonly halfLifeMs?: number;
  /** Members remembered at most (the oldest are forgotten first). Default 4,096. */
  readonly maxMembers?: number;
  readonly now?: () => number;
}

/** How much one refusal weighs: a busy member may just be busy; any other refusal counts in full. */
export const REFUSAL_WEIGHTS = { busy: 0.4, refused: 1, failed: 1 } as const;
export type RefusalKind = keyof typeof REFUSAL_WEIGHTS;

/** At or above this weight a member is only tried when no member below it is free (one refusal: a half-life). */
export const REFUSAL_AVOID_WEIGHT = 0.5;

export class RefusalMemory {
  readonly #halfLifeMs: number;
  readonly #maxMembers: number;
  readonly #now: () => number;
  readonly #weights = new Map<string, { weight: number; at: number }>();

  constructor(init: RefusalMemoryInit = {}) {
    this.#halfLifeMs = init.halfLifeMs ?? 60_000;
    this.#maxMembers = init.maxMembers ?? 4096;
    this.#now = init.now ?? Date.now;
  }

  record(peerId: string, kind: RefusalKind): void {
    const weight = this.weight(peerId) + REFUSAL_WEIGHTS[kind];
    this.#weights.delete(peerId);
    this.#weights.set(peerId, { weight, at: this.#now() });
    if (this.#weights.size > this.#maxMembers) {
      const oldest = this.#weights.keys().next().value;
      if (oldest !== undefined) this.#weights.delete(oldest);
    }
  }

  /** A member served a request: what it owed is halved. */
  served(peerId: string): void {
    const weight = this.weight(peerId) / 2;
    if (weight < 0.01) this.#weights.delete(peerId);
    else this.#weights.set(peerId, { weight, at: this.#now() });
  }

  /** The member's current weight of refusals (0 when it never refused, or long ago). */
  weight(peerId: string): number {
    const entry = this.#weights.get(peerId);
    if (!entry) return 0;
    const elapsed = Math.max(0, this.#now() - entry.at);
    return entry.weight * 0.5 ** (elapsed / this.#halfLifeMs);
  }
}
