// Brings one catalog model into the cache: checks the disk has room before a byte is fetched, waits its turn
// on that disk, downloads each file (resuming partial ones), and indexes the model once every file verified.
import { statfs } from 'node:fs/promises';
import type { GgufFile, GgufModel } from '../../../src-shared/network-config/index.ts';
import { ggufSizeBytes } from '../../../src-shared/tiers/index.ts';
import type { DiskQueue } from './disk-queue.ts';
import { downloadFile, type DownloadFileOptions } from './download-file.ts';
import { ModelDiskSpaceError } from './errors.ts';
import type { ModelCache } from './model-cache.ts';
import { ProgressMeter, type DownloadProgress } from './progress-meter.ts';

/** Where a file that has a content address comes from: peers and the origin together (weights/). */
export interface PeerFileSource {
  fetchFile(
    file: GgufFile & { readonly cid: string },
    path: string,
    options: {
      signal?: AbortSignal;
      onProgress?: (progress: {
        receivedBytes: number;
        peerBytes: number;
        originBytes: number;
        peers: number;
      }) => void;
      onVerifying?: () => void;
      fetch?: typeof fetch;
    },
  ): Promise<unknown>;
  /** Write the file's verified stored beginning into the HTTP download's partial file (bytes it holds). */
  salvage?(file: GgufFile & { readonly cid: string }, path: string): Promise<number>;
}

/** Who sent a download's bytes (only for files fetched through peers). */
export interface DownloadSources {
  /** Bytes fetched in this run from peers and from the origin. */
  readonly peerBytes: number;
  readonly originBytes: number;
  /** Peers sending now. */
  readonly peers: number;
}

/** Free bytes on the file system holding `dir` (tests inject a full disk). */
export type FreeSpaceReader = (dir: string) => Promise<number>;

export const readFreeSpace: FreeSpaceReader = async (dir) => {
  const info = await statfs(dir);
  return info.bavail * info.bsize;
};

export interface FetchModelOptions extends Pick<
  DownloadFileOptions,
  'fetch' | 'idleTimeoutMs' | 'retries' | 'retryDelayMs'
> {
  readonly signal?: AbortSignal;
  readonly queue: DiskQueue;
  readonly freeSpace?: FreeSpaceReader;
  /** Disk left free after the download (the user's files and the OS need room too). */
  readonly reserveBytes?: number;
  /** Waiting for the disk (another download runs on it). */
  readonly onQueued?: () => void;
  /** At most every `progressIntervalMs`, and once at the end of each file. */
  readonly onProgress?: (progress: DownloadProgress & { readonly sources?: DownloadSources }) => void;
  readonly progressIntervalMs?: number;
  readonly onVerifying?: () => void;
  readonly now?: () => number;
  /** Files with a `cid` come through it (peers + origin); without it, or for files without one, HTTP only. */
  readonly peers?: PeerFileSource | null;
  /** The peer fetch of a file failed and it goes over HTTP instead (for the log). */
  readonly onPeersFailed?: (error: unknown) => void;
}

export const DEFAULT_DISK_RESERVE_BYTES = 1e9;

/** Resolves once the model is verified and indexed; rejects with a ModelDownloadError subclass otherwise. */
export async function fetchModel(
  cache: ModelCache,
  model: GgufModel,
  options: FetchModelOptions,
): Promise<void> {
  if (await cache.isReady(model)) return;
  const dir = await cache.ensureDir(model);
  options.onQueued?.();
  await options.queue.run(
    dir,
    async () => {
      const total = ggufSizeBytes(model);
      const onDisk = await cache.bytesOnDisk(model);
      const needed = total - onDisk + (options.reserveBytes ?? DEFAULT_DISK_RESERVE_BYTES);
      const free = await (options.freeSpace ?? readFreeSpace)(dir);
      if (free < needed) throw new ModelDiskSpaceError(model.id, needed, free);

      const now = options.now ?? Date.now;
      const meter = new ProgressMeter(total, now);
      const interval = options.progressIntervalMs ?? 250;
      let lastReport = -Infinity;
      let before = 0; // Bytes of the model's earlier files.
      let sources: DownloadSources | undefined;
      const report = (received: number, force: boolean) => {
        const at = now();
        const progress = meter.update(received);
        if (!force && at - lastReport < interval) return;
        lastReport = at;
        options.onProgress?.(sources ? { ...progress, sources } : progress);
      };
      report(onDisk, true);
      for (const [index, file] of model.files.entries()) {
        const path = cache.filePath(model, index);
        const peers = options.peers;
        if (peers && file.cid !== undefined) {
          try {
            await peers.fetchFile({ ...file, cid: file.cid }, path, {
              ...(options.signal ? { signal: options.signal } : {}),
              ...(options.fetch ? { fetch: options.fetch } : {}),
              onProgress: (p) => {
                sources = { peerBytes: p.peerBytes, originBytes: p.originBytes, peers: p.peers };
                report(before + p.receivedBytes, false);
              },
              ...(options.onVerifying ? { onVerifying: options.onVerifying } : {}),
            });
            before += file.sizeBytes;
            report(before, true);
            continue;
          } catch (error) {
            options.signal?.throwIfAborted();
            // No peer has the file's DAG (the first node to want it, or every holder paused): the whole
            // file over HTTP, as without a content address. Seeding then imports it.
            options.onPeersFailed?.(error);
            sources = undefined;
            // What peers (or the origin's ranges) delivered is verified: the download resumes after it.
            await peers.salvage?.({ ...file, cid: file.cid }, path).catch(() => 0);
          }
        }
        await downloadFile(file, path, {
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.fetch ? { fetch: options.fetch } : {}),
          ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
          ...(options.retries !== undefined ? { retries: options.retries } : {}),
          ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
          onBytes: (received) => report(before + received, false),
          ...(options.onVerifying ? { onVerifying: options.onVerifying } : {}),
        });
        before += file.sizeBytes;
        report(before, true);
      }
      await cache.markReady(model);
    },
    options.signal,
  );
}
