// While a node runs, `api.json` in its data dir says where its local API listens, so `status` (and scripts)
// can find it. Written 0600 on start, removed on a clean stop.
import { readFile, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../../storage/atomic-write.ts';

export interface ApiEndpoint {
  readonly url: string;
  readonly pid: number;
}

const MAX_ENDPOINT_FILE_BYTES = 4096;

export async function writeApiEndpoint(path: string, endpoint: ApiEndpoint): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(endpoint)}\n`, 0o600);
}

export async function removeApiEndpoint(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** The endpoint a node wrote, or null when none is there or it is not ours (never trusted beyond loopback). */
export async function readApiEndpoint(path: string): Promise<ApiEndpoint | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (text.length > MAX_ENDPOINT_FILE_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { url, pid } = value as Record<string, unknown>;
  if (typeof url !== 'string' || typeof pid !== 'number' || !Number.isSafeInteger(pid)) return null;
  if (!/^http:\/\/127\.0\.0\.1:\d{1,5}$/.test(url)) return null;
  return { url, pid };
}
