// The node's Ed25519 key: libp2p peer id = ledger account. Created once, then loaded on every start.
import { readFile } from 'node:fs/promises';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey, PrivateKey } from '@libp2p/interface';
import { writeFileAtomic } from '../storage/atomic-write.ts';
import { keepPrivate } from '../storage/private-mode.ts';
import { IdentityKeyCorruptError } from './errors.ts';

/** A protobuf-encoded Ed25519 private key is 68 bytes; anything much larger is not our key file. */
const MAX_KEY_FILE_BYTES = 4096;

export interface LoadedNodeKey {
  readonly privateKey: Ed25519PrivateKey;
  /** True when this start created the key (a new installation). */
  readonly created: boolean;
}

/** Load the key at `path`, or create it (0600, atomic write) when no file exists. A bad file throws. */
export async function loadOrCreateNodeKey(path: string): Promise<LoadedNodeKey> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const privateKey = await generateKeyPair('Ed25519');
    // 'wx' inside writeFileAtomic guards the temp file; the rename cannot clobber a key created meanwhile
    // by another start only in a race we accept (two processes on one data dir are refused by its lock).
    await writeFileAtomic(path, privateKeyToProtobuf(privateKey), 0o600);
    return { privateKey, created: true };
  }
  await keepPrivate(path, 0o600);
  return { privateKey: decodeNodeKey(path, bytes), created: false };
}

function decodeNodeKey(path: string, bytes: Uint8Array): Ed25519PrivateKey {
  if (bytes.length === 0) throw new IdentityKeyCorruptError(path, 'the file is empty');
  if (bytes.length > MAX_KEY_FILE_BYTES) throw new IdentityKeyCorruptError(path, 'the file is too large');
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (error) {
    throw new IdentityKeyCorruptError(path, error instanceof Error ? error.message : 'undecodable');
  }
  if (key.type !== 'Ed25519')
    throw new IdentityKeyCorruptError(path, `it holds a ${key.type} key, not Ed25519`);
  return key;
}
