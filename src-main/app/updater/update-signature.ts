// Detached Ed25519 signatures on update files (security finding 19). The release workflow signs every
// installer with the release key, which exists only in its secrets (scripts/sign-update.ts); the app holds
// the public keys (release-keys.ts) and installs nothing whose signature does not verify. Code signing and
// notarisation are checked by the OS where certificates exist; this check needs none and covers AppImage too.
//
// What is signed: a fixed prefix, the version, the file's name and the SHA-512 of its bytes. The version and
// name are in it so that a feed cannot offer an older signed file under a newer version (a downgrade), nor
// one signed file under another's name.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** The file a release publishes beside each installer: one line, the base64 of the 64-byte signature. */
export const UPDATE_SIGNATURE_SUFFIX = '.sig';
/** Nothing longer is read as a signature file. */
export const UPDATE_SIGNATURE_MAX_BYTES = 256;

const MESSAGE_PREFIX = 'opengateway-update-signature/1';
const SIGNATURE_TEXT = /^[A-Za-z0-9+/]{86}==$/;
const PUBLIC_KEY_TEXT = /^[A-Za-z0-9+/]{43}=$/;
const VERSION_TEXT = /^[0-9A-Za-z.+-]{1,50}$/;

/** The bytes the release key signs for one file of one version. */
export function updateSignatureMessage(version: string, fileName: string, sha512: Uint8Array): Buffer {
  if (!VERSION_TEXT.test(version)) throw new TypeError(`not a release version: ${version.slice(0, 60)}`);
  if (fileName.length === 0 || fileName.length > 255 || /[/\\\0\n]/.test(fileName))
    throw new TypeError('not a release file name');
  if (sha512.byteLength !== 64) throw new TypeError('a SHA-512 digest has 64 bytes');
  return Buffer.concat([
    Buffer.from(`${MESSAGE_PREFIX}\n${version}\n${fileName}\n`, 'utf8'),
    Buffer.from(sha512),
  ]);
}

/** The SHA-512 of a file, read as a stream (installers are 100+ MB). */
export async function sha512OfFile(path: string, signal?: AbortSignal): Promise<Buffer> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  return hash.digest();
}

/** Signs one file with the release key (a PKCS#8 PEM Ed25519 private key); returns the signature file's text. */
export function signUpdate(
  privateKeyPem: string,
  version: string,
  fileName: string,
  sha512: Uint8Array,
): string {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('the release key must be an Ed25519 key');
  return `${sign(null, updateSignatureMessage(version, fileName, sha512), key).toString('base64')}\n`;
}

/** The raw 32-byte public key, base64: the form release-keys.ts lists. */
export function releasePublicKeyText(privateKeyPem: string): string {
  const jwk = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'jwk' });
  return Buffer.from(jwk.x ?? '', 'base64url').toString('base64');
}

function publicKeyOf(text: string): KeyObject | null {
  if (!PUBLIC_KEY_TEXT.test(text)) return null;
  const x = Buffer.from(text, 'base64').toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

export interface UpdateSignatureInput {
  readonly publicKeys: readonly string[];
  readonly version: string;
  readonly fileName: string;
  readonly sha512: Uint8Array;
  /** The signature file's text, untrusted. */
  readonly signatureText: string;
}

/** Whether one of the release keys signed this file of this version. Malformed input is simply false. */
export function verifyUpdateSignature(input: UpdateSignatureInput): boolean {
  const text = input.signatureText.trim();
  if (!SIGNATURE_TEXT.test(text)) return false;
  let message: Buffer;
  try {
    message = updateSignatureMessage(input.version, input.fileName, input.sha512);
  } catch {
    return false;
  }
  const signature = Buffer.from(text, 'base64');
  return input.publicKeys.some((keyText) => {
    const key = publicKeyOf(keyText);
    return key !== null && verify(null, message, key, signature);
  });
}
