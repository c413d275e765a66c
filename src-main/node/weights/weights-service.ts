// Model files peer to peer (issue 14): Helia on the node's own libp2p (one identity, one transport, one NAT
// traversal), bitswap for blocks, a blockstore on disk in the data folder, the private DHT's provider records
// (keyed by file and region: provider-key.ts) to find who in the node's region holds a file. Fetching walks
// the file's DAG from the catalog's root CID, takes leaves from every provider and, when peers are few or
// slow, from the origin URL at the same time (leaf-scheduler.ts);
// every block is checked against its hash before it is stored, and the assembled file against the
// catalog's SHA-256 before it is renamed into place. Seeding offers only the files it is told to (the
// served tiers' models), within an upload cap, and stops while contributing is paused.
import { TypedEventEmitter, type Libp2p } from '@libp2p/interface';
import { withBitswap } from '@helia/bitswap';
import { MemoryDatastore } from 'datastore-core';
import { createHeliaLight, type Helia } from 'helia';
import { CID } from 'multiformats/cid';
import { DEFAULT_SETTINGS } from '../../../src-shared/ipc/settings.ts';
import { RAW_CODEC, type GgufFile } from '../../../src-shared/network-config/index.ts';
import { assembleFile } from './assemble-file.ts';
import { BlockFiles } from './block-files.ts';
import { WeightsNoSourceError, WeightsRootMismatchError } from './errors.ts';
import { importFileDag } from './file-dag.ts';
import { fileLayout, type BlockReader, type FileLeaf } from './file-layout.ts';
import {
  DEFAULT_LEAF_SCHEDULER_POLICY,
  LeafSchedulerStalledError,
  fetchLeaves,
  type LeafSchedulerPolicy,
} from './leaf-scheduler.ts';
import { sleep } from './abortable-sleep.ts';
import { RegionAnnouncements } from './announce-provider.ts';
import { BlockArrivals, onBitswapBlock, type WatchedPeer } from './block-arrivals.ts';
import { collectFileBlocks, readBlock } from './block-bytes.ts';
import { fetchLeavesFromUrls } from './origin-leaves.ts';
import { peerBlockSource, type PeerBlockSource } from './peer-block-source.ts';
import { salvagePrefix } from './salvage-prefix.ts';
import { weightsProviderKey } from './provider-key.ts';
import { lookUpProviders, watchProviders } from './provider-lookup.ts';
import { SeedingBlockstore } from './seeding-blockstore.ts';
import { UploadLimiter } from './upload-limiter.ts';

/** A catalog file that has a content address. */
export type AddressedFile = GgufFile & { readonly cid: string };

/** Default upload cap: modest, so seeding never crowds out the contributor's own connection. */
export const DEFAULT_UPLOAD_BYTES_PER_SECOND = DEFAULT_SETTINGS.uploadBytesPerSecond;

export interface WeightsComponents {
  /** The node's libp2p (with the private DHT for provider records). */
  readonly libp2p: Libp2p;
}

export interface WeightsInit {
  /** Where blocks live (`<data folder>/weights/blocks`). */
  readonly blocksDir: string;
  /** 0: no cap. */
  readonly uploadBytesPerSecond?: number;
  readonly policy?: Partial<LeafSchedulerPolicy>;
  /**
   * The node's region: seeded files are announced, and providers looked up, within it only. null (region not
   * known yet): nothing announced, nobody looked up (the origin and providers named by the caller remain).
   */
  readonly region?: string | null;
}

/** Progress of one file: bytes on disk and who sent them. */
export interface WeightsProgress {
  readonly fileName: string;
  readonly receivedBytes: number;
  readonly totalBytes: number;
  /** Fetched in this run from peers / from the origin (bytes already on disk count as neither). */
  readonly peerBytes: number;
  readonly originBytes: number;
  readonly peers: number;
  readonly originActive: boolean;
}

export interface WeightsEvents {
  /**
   * A provider was dropped as a source: `corrupt` when it sent a block that is not the one asked for (its
   * gossip score should suffer), otherwise it sent nothing in time (slow, paused or gone: no fault).
   */
  'bad-peer': CustomEvent<{ peerId: string; reason: string; corrupt: boolean }>;
}

/** What a fetch took from where. */
export interface FetchFileResult {
  readonly peerBytes: number;
  readonly originBytes: number;
  /** Bytes per provider peer id. */
  readonly bytesByPeer: Readonly<Record<string, number>>;
  /** Providers dropped for sending nothing verifiable. */
  readonly droppedPeers: readonly string[];
  /** Bytes already stored when the fetch began (an earlier run's verified blocks). */
  readonly resumedBytes: number;
}

export interface FetchFileOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: WeightsProgress) => void;
  readonly onVerifying?: () => void;
  /** Peers known to hold the file besides those the DHT names (peer id strings). */
  readonly providers?: readonly string[];
  readonly fetch?: typeof fetch;
  readonly policy?: Partial<LeafSchedulerPolicy>;
}

export class WeightsService extends TypedEventEmitter<WeightsEvents> {
  readonly #components: WeightsComponents;
  readonly #init: WeightsInit;
  readonly #limiter: UploadLimiter;
  #raw: BlockFiles | null = null;
  #seeding: SeedingBlockstore | null = null;
  #helia: Helia | null = null;
  /** Root CID → the blocks a seeded file offers. */
  readonly #seeded = new Map<string, CID[]>();
  /** The seeded files' provider records in the DHT. */
  readonly #announcements: RegionAnnouncements;
  readonly #arrivals = new BlockArrivals();
  #unwatchBitswap: (() => void) | null = null;

  constructor(components: WeightsComponents, init: WeightsInit) {
    super();
    this.#components = components;
    this.#init = init;
    this.#limiter = new UploadLimiter(init.uploadBytesPerSecond ?? DEFAULT_UPLOAD_BYTES_PER_SECOND);
    this.#announcements = new RegionAnnouncements(components.libp2p, init.region ?? null);
  }

  /** The node's region changed (or became known): seeded files are announced in the new one only. */
  setRegion(region: string | null): void {
    this.#announcements.setRegion(region);
  }

  get region(): string | null {
    return this.#announcements.region;
  }

  async start(): Promise<void> {
    if (this.#helia !== null) return;
    const raw = new BlockFiles(this.#init.blocksDir);
    await raw.open();
    const seeding = new SeedingBlockstore(raw, this.#limiter);
    // Helia without its own libp2p and without HTTP gateways: bitswap on our libp2p is its only broker, and
    // no router (we look up providers ourselves, so bitswap never starts DHT walks of its own).
    // No GC lock: we never run Helia's GC (blocks are deleted with their model), and the lock costs every read.
    const helia = createHeliaLight({
      blockstore: seeding,
      datastore: new MemoryDatastore(),
      holdGcLock: false,
    });
    Object.defineProperty(helia, 'libp2p', { value: this.#components.libp2p, enumerable: true });
    // Wants go out 1 ms after they are made (default 10 ms): the scheduler asks for each leaf as a request
    // finishes, so a long debounce only adds to every block's round trip.
    withBitswap(helia as unknown as Parameters<typeof withBitswap>[0], { sendWantlistDebounce: 1 });
    await helia.start();
    this.#unwatchBitswap = onBitswapBlock(helia, (sender, cid) => this.#arrivals.received(sender, cid));
    this.#raw = raw;
    this.#seeding = seeding;
    this.#helia = helia;
  }

  async stop(): Promise<void> {
    const helia = this.#helia;
    this.#helia = null;
    this.#unwatchBitswap?.();
    this.#unwatchBitswap = null;
    this.#seeded.clear();
    this.#announcements.clear();
    if (helia !== null) await helia.stop();
    await this.#raw?.close();
    this.#raw = null;
    this.#seeding = null;
  }

  /** Bytes per second the node may upload (0: no cap). Takes effect at once. */
  setUploadCap(bytesPerSecond: number): void {
    this.#limiter.bytesPerSecond = bytesPerSecond;
  }

  /** Seeding stops while contributing is paused (or the user is active in idle-only mode). */
  setSeedingPaused(paused: boolean): void {
    this.#parts().seeding.paused = paused;
  }

  /** Bytes sent to peers since start. */
  get uploadedBytes(): number {
    return this.#seeding?.uploadedBytes ?? 0;
  }

  /** Root CIDs of the files being seeded. */
  seededRoots(): string[] {
    return [...this.#seeded.keys()];
  }

  /**
   * Offer a verified local file to peers: put its blocks in the blockstore if they are not there yet, check
   * its root CID is the catalog's, and announce it in the DHT.
   */
  async seedFile(file: AddressedFile, path: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const { raw, seeding } = this.#parts();
    const root = CID.parse(file.cid);
    if (!(await raw.has(root))) {
      const imported = await importFileDag(path, raw, options);
      if (!imported.equals(root))
        throw new WeightsRootMismatchError(file.name, file.cid, imported.toString());
    }
    if (this.#seeded.has(file.cid)) return;
    const blocks: CID[] = [];
    await collectFileBlocks(raw, file, root, blocks);
    seeding.seed(blocks);
    this.#seeded.set(file.cid, blocks);
    this.#announcements.announce(file.cid);
  }

  /** Stop offering a file (its blocks stay on disk until the model is removed). */
  stopSeeding(cid: string): void {
    const blocks = this.#seeded.get(cid);
    if (blocks === undefined) return;
    this.#seeded.delete(cid);
    this.#announcements.withdraw(cid);
    this.#seeding?.unseed(blocks);
  }

  /** Delete a file's blocks (the model was removed from the cache). */
  async forget(file: AddressedFile): Promise<void> {
    const { raw } = this.#parts();
    this.stopSeeding(file.cid);
    const blocks: CID[] = [];
    try {
      await collectFileBlocks(raw, file, CID.parse(file.cid), blocks);
    } catch {
      // Part of the DAG is missing: delete what we found.
    }
    for (const cid of blocks) await raw.delete(cid).catch(() => undefined);
  }

  /**
   * Before a whole-file HTTP download of `file` (the peer fetch failed): write the verified blocks stored
   * from its start into the download's partial file, so the download resumes after them. Returns the
   * partial file's length.
   */
  async salvage(file: AddressedFile, path: string): Promise<number> {
    return salvagePrefix(this.#parts().raw, file, path);
  }

  /** Peers of our region the DHT names as holding `cid` (never ourselves; none while the region is unknown). */
  async findProviders(cid: string, signal?: AbortSignal): Promise<string[]> {
    const found: string[] = [];
    const region = this.#announcements.region;
    if (region === null) return found;
    const key = await weightsProviderKey(region, CID.parse(cid));
    await lookUpProviders(this.#components.libp2p, key, (peerId) => found.push(peerId), signal);
    return found;
  }

  /**
   * Fetch `file` to `path`: every block verified by its CID, the whole file by its SHA-256, then renamed
   * into place. Blocks already stored (an earlier, interrupted run) are not fetched again.
   */
  async fetchFile(
    file: AddressedFile,
    path: string,
    options: FetchFileOptions = {},
  ): Promise<FetchFileResult> {
    const { raw, helia } = this.#parts();
    const policy = { ...DEFAULT_LEAF_SCHEDULER_POLICY, ...this.#init.policy, ...options.policy };
    const root = CID.parse(file.cid);
    const signal = options.signal;
    const providers = new Set(options.providers ?? []);
    const sources = new Map<string, PeerBlockSource>();
    const self = this.#components.libp2p.peerId;
    const watches: WatchedPeer[] = [];
    const addSource = (peerId: string) => {
      if (sources.has(peerId)) return;
      const watch = this.#arrivals.watch(peerId);
      watches.push(watch);
      sources.set(peerId, peerBlockSource(helia, self, root, peerId, watch));
    };
    for (const peer of providers) addSource(peer);

    // Provider lookups run beside the transfer: a peer that finishes its own download joins as a source.
    const lookups = new AbortController();
    const lookupSignal = AbortSignal.any([lookups.signal, ...(signal ? [signal] : [])]);
    const region = this.#announcements.region;
    const firstProvider =
      region === null
        ? Promise.resolve()
        : weightsProviderKey(region, root).then((key) =>
            watchProviders(this.#components.libp2p, key, addSource, lookupSignal),
          );

    let peerBytes = 0;
    let originBytes = 0;
    const bytesByPeer: Record<string, number> = {};
    const droppedPeers: string[] = [];
    let resumedBytes = -1;
    try {
      // A DAG's root comes from a peer: wait for one (the first the DHT names, not the whole lookup). A
      // one-block file's root is its only leaf, which the origin can send: nothing to wait for.
      if (sources.size === 0 && root.code !== RAW_CODEC && !(await raw.has(root))) await firstProvider;
      // The DAG's internal blocks: from any provider, asking each in turn, again for a while (a provider
      // that was just found may still be connecting); at once an error when nobody names the file.
      const readInternal: BlockReader = async (cid) => {
        if (await raw.has(cid)) return readBlock(raw, cid);
        const startedAt = Date.now();
        for (;;) {
          for (const source of [...sources.values()]) {
            try {
              return await source.fetchBlock(
                cid,
                AbortSignal.any([AbortSignal.timeout(policy.blockTimeoutMs), ...(signal ? [signal] : [])]),
              );
            } catch {
              signal?.throwIfAborted();
            }
          }
          if (sources.size === 0 || Date.now() - startedAt > policy.stallTimeoutMs)
            throw new WeightsNoSourceError(
              file.name,
              `no provider sent block ${cid.toString().slice(0, 16)}…`,
            );
          await sleep(1000, signal ?? new AbortController().signal);
        }
      };
      const leaves = await fileLayout(file.name, root, file.sizeBytes, readInternal);
      for (let round = 0; ; round++) {
        const missing: FileLeaf[] = [];
        let have = 0;
        for (const leaf of leaves) {
          if (await raw.has(leaf.cid)) have += leaf.size;
          else missing.push(leaf);
        }
        const report = (activePeers: number, originActive: boolean) =>
          options.onProgress?.({
            fileName: file.name,
            receivedBytes: have + peerBytes + originBytes,
            totalBytes: file.sizeBytes,
            peerBytes,
            originBytes,
            peers: activePeers,
            originActive,
          });
        if (resumedBytes < 0) resumedBytes = have;
        report(sources.size, false);
        const baseline = { peerBytes, originBytes };
        try {
          await fetchLeaves(
            missing,
            {
              peers: () => [...sources.values()],
              origin:
                file.urls.length === 0
                  ? null
                  : {
                      fetch: (span, spanSignal, onStored) =>
                        fetchLeavesFromUrls(file.urls, span, {
                          signal: spanSignal,
                          ...(options.fetch ? { fetch: options.fetch } : {}),
                          onLeaf: async (leaf, bytes) => {
                            await raw.put(leaf.cid, bytes, { signal: spanSignal });
                            onStored(leaf);
                          },
                        }),
                    },
              onLeaf: (leaf, from, counts) => {
                if (from !== 'origin') bytesByPeer[from] = (bytesByPeer[from] ?? 0) + leaf.size;
                peerBytes = baseline.peerBytes + counts.peerBytes;
                originBytes = baseline.originBytes + counts.originBytes;
                report(counts.activePeers, counts.originActive);
              },
              onPeerDropped: (peerId, reason, corrupt) => {
                droppedPeers.push(peerId);
                this.safeDispatchEvent('bad-peer', { detail: { peerId, reason, corrupt } });
              },
            },
            policy,
            signal,
          );
        } catch (error) {
          if (error instanceof LeafSchedulerStalledError)
            throw new WeightsNoSourceError(file.name, error.message);
          throw error;
        }
        options.onVerifying?.();
        const damaged = await assembleFile(raw, file, leaves, path);
        if (damaged === 0) return { peerBytes, originBytes, bytesByPeer, droppedPeers, resumedBytes };
        // Blocks that rotted on disk were deleted: fetch them again, once.
        if (round > 0) throw new WeightsNoSourceError(file.name, 'stored blocks keep failing verification');
      }
    } finally {
      lookups.abort();
      for (const watch of watches) watch.release();
    }
  }

  #parts(): { raw: BlockFiles; seeding: SeedingBlockstore; helia: Helia } {
    if (this.#raw === null || this.#seeding === null || this.#helia === null)
      throw new Error('weights service used before start()');
    return { raw: this.#raw, seeding: this.#seeding, helia: this.#helia };
  }
}
