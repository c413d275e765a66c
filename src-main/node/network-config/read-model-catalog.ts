// Reads a model catalog file for `network init --catalog` (a devnet's own models, a founder's draft).
import { readFile, stat } from 'node:fs/promises';
import {
  NetworkConfigInvalidError,
  parseModelCatalog,
  type ModelCatalog,
} from '../../../src-shared/network-config/index.ts';

/** A catalog larger than this is refused before it is read. */
const MAX_CATALOG_BYTES = 256 * 1024;

export async function readModelCatalog(path: string): Promise<ModelCatalog> {
  const info = await stat(path);
  if (info.size > MAX_CATALOG_BYTES)
    throw new NetworkConfigInvalidError('catalog', `the file is larger than ${MAX_CATALOG_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new NetworkConfigInvalidError('catalog', `${path} is not JSON`);
  }
  return parseModelCatalog(json);
}
