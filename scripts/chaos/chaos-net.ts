// The chaos run's network (issue 15): one network namespace per node, all on one bridge in a `hub` namespace
// (10.81.0.0/24, a range that exists only between these namespaces), so links can be degraded and the
// region cut in two without touching the host. Every name starts with `chaos` (LabNamespaces' prefix).
import { LabNamespaces, run } from '../../test/lab/lab-namespaces.ts';

export const CHAOS_SUBNET = '10.81.0';

/** Node `index`'s address: 10.81.0.10, .11, … */
export function chaosIp(index: number): string {
  return `${CHAOS_SUBNET}.${10 + index}`;
}

/** How a degraded link misbehaves. */
export interface LinkFault {
  /** Packets dropped, each way, in percent. */
  readonly lossPercent: number;
  /** Extra one-way delay (netem); where netem is missing, a rate cap stands in (see `linkFaultKind`). */
  readonly delayMs: number;
  readonly jitterMs: number;
}

/**
 * `netem` where the kernel has it; otherwise loss from nftables (`numgen random`) and a token-bucket rate cap
 * (`tbf`) whose queue delays packets. This machine's kernel has no sch_netem: say which one ran.
 */
export type LinkFaultKind = 'netem' | 'nft-loss+tbf-rate-cap';

export class ChaosNet {
  readonly lab = new LabNamespaces();
  readonly #count: number;
  #faultKind: LinkFaultKind | null = null;
  readonly #degraded = new Set<number>();
  #partitioned: number[] = [];

  constructor(count: number) {
    if (count > 36) throw new RangeError('the chaos network holds at most 36 nodes');
    this.#count = count;
    const lab = this.lab;
    lab.add('hub');
    const ports: string[] = [];
    for (let i = 0; i < count; i++) {
      lab.add(`n${i}`);
      // Device names: prefix (≤ 12) + one base-36 digit + a/b fit the 15 characters Linux allows.
      lab.link(i.toString(36), `n${i}`, `${chaosIp(i)}/24`, 'hub', null);
      ports.push(`${lab.prefix}${i.toString(36)}b`);
    }
    lab.bridge('hub', null, ports);
  }

  /** The full namespace name of node `index`. */
  namespace(index: number): string {
    return this.lab.name(`n${index}`);
  }

  /** Node `index`'s device on the bridge (inside its namespace). */
  #device(index: number): string {
    return `${this.lab.prefix}${index.toString(36)}a`;
  }

  get faultKind(): LinkFaultKind {
    if (this.#faultKind !== null) return this.#faultKind;
    // Probe once on the hub's loopback (nothing depends on it).
    try {
      this.lab.exec('hub', 'tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
      this.lab.exec('hub', 'tc', ['qdisc', 'del', 'dev', 'lo', 'root']);
      this.#faultKind = 'netem';
    } catch {
      this.#faultKind = 'nft-loss+tbf-rate-cap';
    }
    return this.#faultKind;
  }

  /** Degrades node `index`'s link both ways (its own egress here, its ingress by nftables). */
  degrade(index: number, fault: LinkFault): void {
    const dev = this.#device(index);
    const ns = `n${index}`;
    if (this.faultKind === 'netem') {
      this.lab.exec(ns, 'tc', [
        'qdisc', 'replace', 'dev', dev, 'root', 'netem',
        'delay', `${fault.delayMs}ms`, `${fault.jitterMs}ms`, 'loss', `${fault.lossPercent}%`,
      ]); // prettier-ignore
      // netem shapes egress only: drop the same share of what arrives.
      this.#nftLoss(index, fault.lossPercent, false);
    } else {
      // A 256 kbit/s bucket with 400 ms of queue: bursts wait, as on a poor link.
      this.lab.exec(ns, 'tc', [
        'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', '256kbit', 'burst', '16kbit', 'latency', '400ms',
      ]); // prettier-ignore
      this.#nftLoss(index, fault.lossPercent, true);
    }
    this.#degraded.add(index);
  }

  #nftLoss(index: number, percent: number, bothWays: boolean): void {
    const dev = this.#device(index);
    const drop = `numgen random mod 100 < ${percent} drop`;
    this.lab.nft(
      `n${index}`,
      [
        `table inet ${this.lab.prefix}_loss {`,
        '  chain input {',
        '    type filter hook input priority filter; policy accept;',
        `    iifname "${dev}" ${drop}`,
        '  }',
        '  chain output {',
        '    type filter hook output priority filter; policy accept;',
        ...(bothWays ? [`    oifname "${dev}" ${drop}`] : []),
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  }

  /** Undoes `degrade` on node `index`. */
  restore(index: number): void {
    if (!this.#degraded.delete(index)) return;
    const ns = `n${index}`;
    try {
      this.lab.exec(ns, 'tc', ['qdisc', 'del', 'dev', this.#device(index), 'root']);
    } catch {
      // No qdisc left.
    }
    try {
      this.lab.exec(ns, 'nft', ['delete', 'table', 'inet', `${this.lab.prefix}_loss`]);
    } catch {
      // No table left.
    }
  }

  /**
   * Cuts `side` off from every other node: each node of `side` drops everything to and from the others (on
   * both ends, so nothing crosses in either direction). Existing connections die by timeout, as in a real cut.
   */
  partition(side: readonly number[]): void {
    const others = Array.from({ length: this.#count }, (_, i) => i).filter((i) => !side.includes(i));
    const cut = (from: number, away: readonly number[]) => {
      const set = away.map(chaosIp).join(', ');
      this.lab.nft(
        `n${from}`,
        [
          `table inet ${this.lab.prefix}_cut {`,
          '  chain input {',
          '    type filter hook input priority filter; policy accept;',
          `    ip saddr { ${set} } drop`,
          '  }',
          '  chain output {',
          '    type filter hook output priority filter; policy accept;',
          `    ip daddr { ${set} } drop`,
          '  }',
          '}',
          '',
        ].join('\n'),
      );
      this.#partitioned.push(from);
    };
    for (const i of side) cut(i, others);
    for (const i of others) cut(i, side);
  }

  heal(): void {
    for (const i of this.#partitioned.splice(0)) {
      try {
        this.lab.exec(`n${i}`, 'nft', ['delete', 'table', 'inet', `${this.lab.prefix}_cut`]);
      } catch {
        // Already gone.
      }
    }
  }

  destroy(): void {
    this.lab.destroy();
  }
}

/** Why the chaos run cannot run here (same needs as the NAT lab, plus `tc`), or null. */
export function chaosUnavailableReason(labReason: string | null): string | null {
  if (labReason !== null) return labReason;
  try {
    run('tc', ['-V']);
  } catch {
    return 'the chaos run needs `tc` (apt-get install -y iproute2)';
  }
  return null;
}
