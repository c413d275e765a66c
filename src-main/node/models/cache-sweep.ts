// Models nobody serves any more leave the cache, but not at once. A tier's model falls out of use when the
// catalog moves the tier to a new model, when the machine stops qualifying, or when the contributor moves the
// tier to another engine; the last two are often undone within days, and fetching 5–75 GB again costs far
// more than keeping a file a little longer. So an unused model is marked with the time it fell out of use
// and deleted only after a grace period; `models rm` is the way to free the space at once.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelCache } from './model-cache.ts';

/** A week: long enough to undo a change of engine or a machine briefly below a tier's needs. */
export const DEFAULT_CACHE_GRACE_MS = 7 * 24 * 60 * 60_000;

export interface SweptModel {
  readonly key: string;
  /** The model's id, or the folder's name for an unfinished download that never reached the index. */
  readonly id: string;
  readonly bytes: number;
}

/**
 * Mark what is in use, delete what has been unused for `graceMs`: verified models by their index entry,
 * unfinished downloads (folders without an entry) by the last time anything in them changed.
 */
export async function sweepCache(
  cache: ModelCache,
  inUse: ReadonlySet<string>,
  options: { readonly now: number; readonly graceMs: number },
): Promise<SweptModel[]> {
  const entries = await cache.markUse(inUse, options.now);
  const removed: SweptModel[] = [];
  for (const entry of entries) {
    if (entry.unusedSince === undefined || options.now - entry.unusedSince < options.graceMs) continue;
    const bytes = entry.files.reduce((sum, file) => sum + file.sizeBytes, 0);
    await cache.removeKey(entry.key);
    removed.push({ key: entry.key, id: entry.id, bytes });
  }
  const indexed = new Set(entries.map((entry) => entry.key));
  for (const folder of await foldersIn(cache.dir)) {
    if (indexed.has(folder) || inUse.has(folder)) continue;
    const { newestMs, bytes } = await folderAge(join(cache.dir, folder));
    if (options.now - newestMs < options.graceMs) continue;
    await cache.removeKey(folder);
    removed.push({ key: folder, id: folder, bytes });
  }
  return removed;
}

async function foldersIn(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** The latest modification time in a model folder (files are flat in it) and its size. */
async function folderAge(dir: string): Promise<{ newestMs: number; bytes: number }> {
  let newestMs = (await stat(dir)).mtimeMs;
  let bytes = 0;
  for (const name of await readdir(dir)) {
    try {
      const info = await stat(join(dir, name));
      newestMs = Math.max(newestMs, info.mtimeMs);
      bytes += info.size;
    } catch {
      // Gone while we looked: nothing to count.
    }
  }
  return { newestMs, bytes };
}
