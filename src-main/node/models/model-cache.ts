// The model cache in the data folder: one folder per model (its files under their catalog names, so split
// GGUF parts sit together as llama.cpp expects), and an index of the models that passed verification.
// Only an indexed model is ever handed to an engine; a file without an index entry is an unfinished download.
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GgufModel } from '../../../src-shared/network-config/index.ts';
import { writeFileAtomic } from '../storage/atomic-write.ts';
import { partialPath } from './download-file.ts';

const INDEX_FORMAT = 1;
const MAX_INDEX_BYTES = 1024 * 1024;
/** A cache folder's name: what keyOf makes (no separators, no leading dot). */
const KEY = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** A verified model in the cache. */
export interface CachedModel {
  /** The folder name inside the cache. */
  readonly key: string;
  readonly id: string;
  readonly files: readonly { readonly name: string; readonly sha256: string; readonly sizeBytes: number }[];
  /** When its hashes were checked (ms since the epoch). */
  readonly verifiedAt: number;
  /** Since when no tier this node serves has used it (ms since the epoch); absent while in use. */
  readonly unusedSince?: number;
}

export class ModelCache {
  readonly dir: string;
  readonly #indexPath: string;
  #writing: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.dir = dir;
    this.#indexPath = join(dir, 'index.json');
  }

  /** The folder of a model: its id made safe for file systems, and its first file's hash (ids may repeat). */
  static keyOf(model: GgufModel): string {
    const safe = model.id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
    return `${safe}-${model.files[0]!.sha256.slice(0, 12)}`;
  }

  modelDir(model: GgufModel): string {
    return join(this.dir, ModelCache.keyOf(model));
  }

  /** Where a model's file lives (the first file is the one an engine opens). */
  filePath(model: GgufModel, index = 0): string {
    return join(this.modelDir(model), model.files[index]!.name);
  }

  async ensureDir(model: GgufModel): Promise<string> {
    const dir = this.modelDir(model);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  /** Verified and still whole on disk (same files, same hashes, same sizes). */
  async isReady(model: GgufModel): Promise<boolean> {
    const entry = (await this.#readIndex()).get(ModelCache.keyOf(model));
    if (entry === undefined || entry.files.length !== model.files.length) return false;
    for (const [i, file] of model.files.entries()) {
      const cached = entry.files[i]!;
      if (cached.name !== file.name || cached.sha256 !== file.sha256 || cached.sizeBytes !== file.sizeBytes)
        return false;
      if ((await sizeOf(this.filePath(model, i))) !== file.sizeBytes) return false;
    }
    return true;
  }

  /** Bytes of the model already on disk: finished files and partial downloads. */
  async bytesOnDisk(model: GgufModel): Promise<number> {
    let total = 0;
    for (const [i, file] of model.files.entries()) {
      const path = this.filePath(model, i);
      const whole = await sizeOf(path);
      total +=
        whole === file.sizeBytes
          ? whole
          : Math.max(0, Math.min(file.sizeBytes, await sizeOf(partialPath(path))));
    }
    return total;
  }

  async markReady(model: GgufModel, now: number = Date.now()): Promise<void> {
    await this.#updateIndex((index) => {
      const key = ModelCache.keyOf(model);
      index.set(key, {
        key,
        id: model.id,
        files: model.files.map((file) => ({
          name: file.name,
          sha256: file.sha256,
          sizeBytes: file.sizeBytes,
        })),
        verifiedAt: now,
      });
    });
  }

  /** Delete a model's folder (finished and partial files) and its index entry. */
  async remove(model: GgufModel): Promise<void> {
    await this.#updateIndex((index) => index.delete(ModelCache.keyOf(model)));
    await rm(this.modelDir(model), { recursive: true, force: true });
  }

  /**
   * Record which cached models are in use: entries not in `inUse` get `unusedSince` = now unless they have
   * one, entries in use lose it. Returns the index as written.
   */
  async markUse(inUse: ReadonlySet<string>, now: number): Promise<CachedModel[]> {
    let entries: CachedModel[] = [];
    await this.#updateIndex((index) => {
      for (const [key, entry] of index) {
        if (inUse.has(key)) {
          if (entry.unusedSince !== undefined) {
            const { unusedSince: _unused, ...used } = entry;
            index.set(key, used);
          }
        } else if (entry.unusedSince === undefined) index.set(key, { ...entry, unusedSince: now });
      }
      entries = [...index.values()];
    });
    return entries;
  }

  /** Delete a cache folder by its key (a model no longer in the catalog has no GgufModel to name it by). */
  async removeKey(key: string): Promise<void> {
    if (!KEY.test(key)) return;
    await this.#updateIndex((index) => index.delete(key));
    await rm(join(this.dir, key), { recursive: true, force: true });
  }

  async list(): Promise<CachedModel[]> {
    return [...(await this.#readIndex()).values()];
  }

  async #updateIndex(change: (index: Map<string, CachedModel>) => void): Promise<void> {
    const run = this.#writing.then(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o755 });
      const index = await this.#readIndex();
      change(index);
      const doc = { format: INDEX_FORMAT, models: [...index.values()] };
      await writeFileAtomic(this.#indexPath, `${JSON.stringify(doc, null, 2)}\n`, 0o644);
    });
    this.#writing = run.catch(() => {});
    await run;
  }

  /** The index; a missing or damaged one counts as empty (models are then downloaded and verified again). */
  async #readIndex(): Promise<Map<string, CachedModel>> {
    let text: string;
    try {
      if ((await stat(this.#indexPath)).size > MAX_INDEX_BYTES) return new Map();
      text = await readFile(this.#indexPath, 'utf8');
    } catch {
      return new Map();
    }
    const index = new Map<string, CachedModel>();
    try {
      const doc = JSON.parse(text) as { format?: unknown; models?: unknown };
      if (doc.format !== INDEX_FORMAT || !Array.isArray(doc.models)) return index;
      for (const entry of doc.models as unknown[]) {
        const model = cachedModel(entry);
        if (model !== null) index.set(model.key, model);
      }
    } catch {
      return new Map();
    }
    return index;
  }
}

function cachedModel(value: unknown): CachedModel | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.key !== 'string' || typeof v.id !== 'string' || typeof v.verifiedAt !== 'number') return null;
  if (!KEY.test(v.key) || !Array.isArray(v.files)) return null;
  const unusedSince =
    typeof v.unusedSince === 'number' && Number.isFinite(v.unusedSince) ? v.unusedSince : null;
  const files = [];
  for (const file of v.files as unknown[]) {
    const f = file as Record<string, unknown> | null;
    if (typeof f?.name !== 'string' || typeof f.sha256 !== 'string' || typeof f.sizeBytes !== 'number')
      return null;
    files.push({ name: f.name, sha256: f.sha256, sizeBytes: f.sizeBytes });
  }
  return {
    key: v.key,
    id: v.id,
    files,
    verifiedAt: v.verifiedAt,
    ...(unusedSince !== null ? { unusedSince } : {}),
  };
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}
