// Strict parsing of a tier's model catalog (engineModels): a download URL, a file name and a size arrive from
// a signed document, but the parser still refuses anything a node could be hurt by (paths in file names,
// odd URL schemes, sizes that do not add up), so one bad revision cannot make nodes write outside their cache.
import type { GgufFile, GgufModel, ModelNeeds, TierModels } from '../tiers/tier-models.ts';
import { parseFileCid } from './file-cid.ts';
import { NetworkConfigInvalidError } from './errors.ts';
import { array, int, object, string } from './strict-fields.ts';

export type { GgufFile, GgufModel, ModelNeeds, TierModels } from '../tiers/tier-models.ts';

const MAX_FILES = 16;
const MAX_URLS = 8;
/** 1 PB: far above any model, far below where byte counts lose precision. */
const MAX_BYTES = 2 ** 50;
const MAX_CONTEXT = 1 << 24;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.gguf$/;
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const QUANTIZATION = /^[A-Za-z0-9_]{1,16}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export function parseTierModels(value: unknown, path: string): TierModels {
  const m = object(value, path, ['exo', 'exoNeeds', 'builtin']);
  const exo = string(m.exo, `${path}.exo`, 1, 256);
  return {
    exo,
    ...(m.exoNeeds !== undefined ? { exoNeeds: parseNeeds(m.exoNeeds, `${path}.exoNeeds`) } : {}),
    ...(m.builtin !== undefined ? { builtin: parseGgufModel(m.builtin, `${path}.builtin`) } : {}),
  };
}

function parseNeeds(value: unknown, path: string): ModelNeeds {
  const n = object(value, path, ['memoryBytes', 'diskBytes']);
  return {
    memoryBytes: int(n.memoryBytes, `${path}.memoryBytes`, 1, MAX_BYTES),
    diskBytes: int(n.diskBytes, `${path}.diskBytes`, 1, MAX_BYTES),
  };
}

export function parseGgufModel(value: unknown, path: string): GgufModel {
  const g = object(value, path, ['format', 'id', 'quantization', 'contextLength', 'memoryBytes', 'files']);
  if (g.format !== 'gguf') throw new NetworkConfigInvalidError(`${path}.format`, 'must be "gguf"');
  const id = string(g.id, `${path}.id`, 1, 128);
  if (!MODEL_ID.test(id) || id.includes('..'))
    throw new NetworkConfigInvalidError(`${path}.id`, 'use letters, digits and . _ : / -');
  const quantization = string(g.quantization, `${path}.quantization`, 1, 16);
  if (!QUANTIZATION.test(quantization))
    throw new NetworkConfigInvalidError(`${path}.quantization`, 'use letters, digits and _');
  const files = array(g.files, `${path}.files`, MAX_FILES).map((file, i) =>
    parseGgufFile(file, `${path}.files[${i}]`),
  );
  if (files.length === 0) throw new NetworkConfigInvalidError(`${path}.files`, 'at least one file is needed');
  if (new Set(files.map((file) => file.name.toLowerCase())).size !== files.length)
    throw new NetworkConfigInvalidError(`${path}.files`, 'a file name appears twice');
  const total = files.reduce((sum, file) => sum + file.sizeBytes, 0);
  if (total > MAX_BYTES) throw new NetworkConfigInvalidError(`${path}.files`, 'the files are too large');
  const memoryBytes = int(g.memoryBytes, `${path}.memoryBytes`, 1, MAX_BYTES);
  // llama.cpp maps every weight into memory: a model never runs in less than its files' size.
  if (memoryBytes < total)
    throw new NetworkConfigInvalidError(`${path}.memoryBytes`, 'is less than the size of the files');
  return {
    format: 'gguf',
    id,
    quantization,
    contextLength: int(g.contextLength, `${path}.contextLength`, 1, MAX_CONTEXT),
    memoryBytes,
    files,
  };
}

function parseGgufFile(value: unknown, path: string): GgufFile {
  const f = object(value, path, ['name', 'urls', 'sizeBytes', 'sha256', 'cid']);
  const name = string(f.name, `${path}.name`, 1, 205);
  if (!FILE_NAME.test(name) || name.includes('..'))
    throw new NetworkConfigInvalidError(`${path}.name`, 'must be a plain file name ending in .gguf');
  const urls = array(f.urls, `${path}.urls`, MAX_URLS).map((url, i) => parseUrl(url, `${path}.urls[${i}]`));
  if (urls.length === 0) throw new NetworkConfigInvalidError(`${path}.urls`, 'at least one URL is needed');
  const sha256 = string(f.sha256, `${path}.sha256`, 64, 64);
  if (!SHA256.test(sha256))
    throw new NetworkConfigInvalidError(`${path}.sha256`, 'must be 64 lower-case hex digits');
  const sizeBytes = int(f.sizeBytes, `${path}.sizeBytes`, 1, MAX_BYTES);
  return {
    name,
    urls,
    sizeBytes,
    sha256,
    ...(f.cid !== undefined ? { cid: parseFileCid(f.cid, `${path}.cid`, sizeBytes) } : {}),
  };
}

/** http(s)://host[:port][/path]: no credentials, no other schemes (src-shared has no URL class to lean on). */
const HTTP_URL =
  /^https?:\/\/(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?(?:[/?#][\x21-\x7e]*)?$/;

function parseUrl(value: unknown, path: string): string {
  const text = string(value, path, 8, 2048);
  if (!HTTP_URL.test(text))
    throw new NetworkConfigInvalidError(path, 'must be an http or https URL without credentials');
  return text;
}

/** A catalog file for `network init --catalog`: per tier id, the models that replace the default ones. */
export interface ModelCatalog {
  readonly tiers: Readonly<Record<string, ModelCatalogEntry>>;
}

export interface ModelCatalogEntry {
  readonly engineModels: TierModels;
  /** What people see the tier serve; keeps labels true to the catalog's model. */
  readonly exampleModels?: readonly string[];
}

export const MODEL_CATALOG_FORMAT = 1;

/** Check an untrusted catalog file's JSON (same rules as the signed config's engineModels). */
export function parseModelCatalog(value: unknown): ModelCatalog {
  const root = object(value, '', ['format', 'tiers']);
  if (root.format !== MODEL_CATALOG_FORMAT)
    throw new NetworkConfigInvalidError(
      'format',
      `unsupported catalog format (expected ${MODEL_CATALOG_FORMAT})`,
    );
  const tiersIn = object(root.tiers, 'tiers', Object.keys(root.tiers ?? {}));
  const ids = Object.keys(tiersIn);
  if (ids.length > 16) throw new NetworkConfigInvalidError('tiers', 'more than 16 entries');
  const tiers: Record<string, ModelCatalogEntry> = {};
  for (const id of ids) {
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(id))
      throw new NetworkConfigInvalidError(`tiers.${id.slice(0, 40)}`, 'not a tier id');
    const entry = object(tiersIn[id], `tiers.${id}`, ['engineModels', 'exampleModels']);
    tiers[id] = {
      engineModels: parseTierModels(entry.engineModels, `tiers.${id}.engineModels`),
      ...(entry.exampleModels !== undefined
        ? {
            exampleModels: array(entry.exampleModels, `tiers.${id}.exampleModels`, 16).map((m, i) =>
              string(m, `tiers.${id}.exampleModels[${i}]`, 1, 128),
            ),
          }
        : {}),
    };
  }
  return { tiers };
}
