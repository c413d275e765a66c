// The local API's key: 32 random bytes as hex, created on first start, stored 0600. Hex because the key
// also travels as a WebSocket subprotocol token, where only a few punctuation characters are allowed.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../storage/atomic-write.ts';
import { keepPrivate } from '../../storage/private-mode.ts';
import { ApiKeyFileInvalidError } from './errors.ts';

const KEY_PATTERN = /^[0-9a-f]{64}$/;

export async function loadOrCreateApiKey(path: string): Promise<string> {
  const existing = await readApiKey(path);
  if (existing !== null) {
    await keepPrivate(path, 0o600);
    return existing;
  }
  const key = randomBytes(32).toString('hex');
  await writeFileAtomic(path, `${key}\n`, 0o600);
  return key;
}

/** The stored key, or null when there is no key file yet. */
export async function readApiKey(path: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const key = text.trim();
  if (!KEY_PATTERN.test(key)) throw new ApiKeyFileInvalidError(path);
  return key;
}
