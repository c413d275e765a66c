// How many bytes of unfinished inbound frames this node holds, across every stream and peer (finding 8 of
// ref/security-findings.md). Yamux reopens a stream's window as soon as data arrives, so a peer can fill a
// stream's read buffer whether or not we read it; without one total, 1,024 streams × 4 MiB per connection
// were allowed. Every byte that arrives is charged here until the frame it belongs to is consumed; a stream
// whose bytes do not fit is aborted, never buffered.

/** Bytes charged to one stream: taken as they arrive, given back once consumed or when the stream ends. */
export interface InboundAllowance {
  /** Charge `bytes`; false (and nothing charged) when the peer's or the node's total would be exceeded. */
  take(bytes: number): boolean;
  give(bytes: number): void;
}

export interface InboundBudgetInit {
  /** All peers together. Default 64 MiB. */
  readonly totalBytes?: number;
  /** One peer, over all its streams and connections. Default 8 MiB. */
  readonly perPeerBytes?: number;
}

export const DEFAULT_INBOUND_TOTAL_BYTES = 64 * 1024 * 1024;
export const DEFAULT_INBOUND_PER_PEER_BYTES = 8 * 1024 * 1024;

export class InboundBudget {
  readonly totalBytes: number;
  readonly perPeerBytes: number;
  #used = 0;
  readonly #byPeer = new Map<string, number>();

  constructor(init: InboundBudgetInit = {}) {
    this.totalBytes = init.totalBytes ?? DEFAULT_INBOUND_TOTAL_BYTES;
    this.perPeerBytes = init.perPeerBytes ?? DEFAULT_INBOUND_PER_PEER_BYTES;
  }

  /** Bytes held now, all peers together. */
  get used(): number {
    return this.#used;
  }

  /** Bytes held now for one peer. */
  usedBy(peer: string): number {
    return this.#byPeer.get(peer) ?? 0;
  }

  /** The allowance of one stream of `peer`. */
  forPeer(peer: string): InboundAllowance {
    return {
      take: (bytes) => {
        const held = this.#byPeer.get(peer) ?? 0;
        if (this.#used + bytes > this.totalBytes || held + bytes > this.perPeerBytes) return false;
        this.#used += bytes;
        this.#byPeer.set(peer, held + bytes);
        return true;
      },
      give: (bytes) => {
        const held = this.#byPeer.get(peer) ?? 0;
        const back = Math.min(bytes, held);
        this.#used -= back;
        if (held - back <= 0) this.#byPeer.delete(peer);
        else this.#byPeer.set(peer, held - back);
      },
    };
  }
}
