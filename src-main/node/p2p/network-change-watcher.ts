// Notices when the machine's network changes (another Wi-Fi, a VPN coming up, a new DHCP lease): the
// addresses peers observed before describe the old network, so the region must be decided again.
import { networkInterfaces } from 'node:os';
import { TypedEventEmitter } from '@libp2p/interface';

export interface NetworkChangeEvents {
  /** The set of external interface addresses changed; detail is the new set. */
  change: CustomEvent<readonly string[]>;
}

export interface NetworkChangeWatcherInit {
  readonly intervalMs?: number;
  /** Injected in tests; the machine's interfaces otherwise. */
  readonly addresses?: () => string[];
}

export class NetworkChangeWatcher extends TypedEventEmitter<NetworkChangeEvents> {
  readonly #intervalMs: number;
  readonly #addresses: () => string[];
  #last = '';
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(init: NetworkChangeWatcherInit = {}) {
    super();
    this.#intervalMs = init.intervalMs ?? 15_000;
    this.#addresses = init.addresses ?? externalAddresses;
  }

  start(): Promise<void> {
    this.#last = signature(this.#addresses());
    this.#timer = setInterval(() => this.check(), this.#intervalMs);
    this.#timer.unref();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    return Promise.resolve();
  }

  /** Compare now (also runs on the timer). */
  check(): void {
    const addresses = this.#addresses();
    const next = signature(addresses);
    if (next === this.#last) return;
    this.#last = next;
    this.safeDispatchEvent('change', { detail: [...addresses].sort() });
  }
}

function signature(addresses: readonly string[]): string {
  return [...addresses].sort().join(',');
}

/** Non-internal interface addresses (loopback never says anything about the network). */
export function externalAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((infos) =>
    (infos ?? []).filter((info) => !info.internal).map((info) => info.address),
  );
}
