// Which model files this node offers to peers: exactly the addressed files it is told to seed (the ready
// models of the tiers it serves), imported one at a time, and withdrawn when they are no longer wanted or the
// peer side changes.
import type { GgufFile } from '../../../src-shared/network-config/index.ts';
import type { PeerFileSource } from './fetch-model.ts';

/** The peer side of model files (weights/WeightsService): fetches addressed files and seeds served ones. */
export interface ModelPeers extends PeerFileSource {
  seedFile(file: GgufFile & { readonly cid: string }, path: string): Promise<void>;
  stopSeeding(cid: string): void;
  setSeedingPaused(paused: boolean): void;
  /** Delete a file's blocks (its model left the cache). */
  forget(file: GgufFile & { readonly cid: string }): Promise<void>;
}

/** A file to seed, by its root CID, and where the verified copy lies. */
export interface SeedableFile {
  readonly file: GgufFile & { readonly cid: string };
  readonly path: string;
}

export class ModelSeeding {
  readonly #log: (line: string) => void;
  #peers: ModelPeers | null = null;
  /** Root CIDs offered to peers (or being imported to be offered). */
  readonly #seeded = new Set<string>();
  #imports: Promise<void> = Promise.resolve();

  constructor(log: (line: string) => void = () => {}) {
    this.#log = log;
  }

  get peers(): ModelPeers | null {
    return this.#peers;
  }

  /** A new peer side: whatever the old one seeded is withdrawn from it. */
  setPeers(peers: ModelPeers | null, paused: boolean): void {
    if (this.#peers !== null && this.#peers !== peers) {
      for (const cid of this.#seeded) this.#peers.stopSeeding(cid);
      this.#seeded.clear();
    }
    this.#peers = peers;
    peers?.setSeedingPaused(paused);
  }

  cids(): string[] {
    return [...this.#seeded];
  }

  /** The file's blocks are gone (its model was removed): forget it here and at the peer side. */
  async forget(file: GgufFile & { readonly cid: string }): Promise<void> {
    this.#seeded.delete(file.cid);
    await this.#peers?.forget(file);
  }

  /** Seed exactly `want` (by root CID): new files are imported in turn, files no longer wanted withdrawn. */
  sync(want: ReadonlyMap<string, SeedableFile>): void {
    const peers = this.#peers;
    if (peers === null) return;
    for (const cid of [...this.#seeded])
      if (!want.has(cid)) {
        this.#seeded.delete(cid);
        peers.stopSeeding(cid);
      }
    for (const [cid, { file, path }] of want) {
      if (this.#seeded.has(cid)) continue;
      this.#seeded.add(cid);
      // One file at a time: importing a file that came over HTTP hashes all of it.
      this.#imports = this.#imports.then(async () => {
        if (!this.#seeded.has(cid) || this.#peers !== peers) return;
        try {
          await peers.seedFile(file, path);
          this.#log(`models: seeding ${file.name}`);
        } catch (error) {
          this.#seeded.delete(cid);
          this.#log(
            `models: cannot seed ${file.name}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      });
    }
  }
}
