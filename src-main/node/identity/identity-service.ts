// The identity service: the node's key (peer id = ledger account) and the machine fingerprint.
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { Locations } from '../locations.ts';
import { readHardwareIds } from './hardware-ids.ts';
import { fingerprintFromIds, type HardwareIds, type MachineFingerprint } from './machine-fingerprint.ts';
import { loadOrCreateNodeKey } from './node-key.ts';

export interface IdentityComponents {
  readonly locations: Locations;
}

export interface IdentityInit {
  /** The network config's fingerprint salt; a fixed development salt until a config is loaded. */
  readonly fingerprintSalt?: string;
  /** Injected in tests; the real machine's ids otherwise. */
  readonly readHardwareIds?: () => Promise<HardwareIds>;
}

export const DEVELOPMENT_FINGERPRINT_SALT = 'og-development-salt';

export class IdentityService {
  readonly #components: IdentityComponents;
  readonly #init: IdentityInit;
  #state: {
    privateKey: Ed25519PrivateKey;
    peerId: PeerId;
    fingerprint: MachineFingerprint;
    created: boolean;
  } | null = null;

  constructor(components: IdentityComponents, init: IdentityInit = {}) {
    this.#components = components;
    this.#init = init;
  }

  async start(): Promise<void> {
    const { privateKey, created } = await loadOrCreateNodeKey(this.#components.locations.identityKey);
    const ids = await (this.#init.readHardwareIds ?? readHardwareIds)();
    const fingerprint = fingerprintFromIds(ids, this.#init.fingerprintSalt ?? DEVELOPMENT_FINGERPRINT_SALT);
    this.#state = { privateKey, peerId: peerIdFromPrivateKey(privateKey), fingerprint, created };
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  get privateKey(): Ed25519PrivateKey {
    return this.#started().privateKey;
  }

  get peerId(): PeerId {
    return this.#started().peerId;
  }

  get fingerprint(): MachineFingerprint {
    return this.#started().fingerprint;
  }

  /** True when this start created the key: a new installation. */
  get created(): boolean {
    return this.#started().created;
  }

  #started() {
    if (!this.#state) throw new Error('identity service used before start()');
    return this.#state;
  }
}
