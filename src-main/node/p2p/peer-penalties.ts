// Misbehaviour a peer showed us outside gossip (issue 14: a model-file seeder that sent blocks whose hash is
// not their CID), in gossipsub score points. Gossipsub only sees what arrives on its topics; this is how
// other protocols' findings reach a peer's gossip score (the application-specific part, beside the ledger's
// reputation). Penalties fade (halving every `halfLifeMs`), so a peer whose disk rotted once is not shunned
// forever, while one that keeps doing it stays below the thresholds.

export interface PeerPenaltiesInit {
  /** Default one hour. */
  readonly halfLifeMs?: number;
  /** Peers remembered at most (the oldest entry is forgotten first). Default 4,096. */
  readonly maxPeers?: number;
  readonly now?: () => number;
}

/**
 * One corrupted block (or any block not matching its CID): 20 points takes a peer with no other score below
 * gossipsub's gossip threshold (-10 by default); four take it below the graylist threshold (-80).
 */
export const BAD_BLOCK_PENALTY = 20;

export class PeerPenalties {
  readonly #halfLifeMs: number;
  readonly #maxPeers: number;
  readonly #now: () => number;
  readonly #points = new Map<string, { points: number; at: number }>();

  constructor(init: PeerPenaltiesInit = {}) {
    this.#halfLifeMs = init.halfLifeMs ?? 3600_000;
    this.#maxPeers = init.maxPeers ?? 4096;
    this.#now = init.now ?? Date.now;
  }

  /** Add `points` (> 0) to what `peerId` owes. */
  penalise(peerId: string, points: number): void {
    if (!(points > 0)) return;
    const total = this.points(peerId) + points;
    this.#points.delete(peerId);
    this.#points.set(peerId, { points: total, at: this.#now() });
    if (this.#points.size > this.#maxPeers) {
      const oldest = this.#points.keys().next().value;
      if (oldest !== undefined) this.#points.delete(oldest);
    }
  }

  /** The penalty `peerId` carries now (0 for a peer never penalised, or long ago). */
  points(peerId: string): number {
    const entry = this.#points.get(peerId);
    if (entry === undefined) return 0;
    const elapsed = Math.max(0, this.#now() - entry.at);
    const points = entry.points * 0.5 ** (elapsed / this.#halfLifeMs);
    if (points < 0.01) this.#points.delete(peerId);
    return points < 0.01 ? 0 : points;
  }
}
