// The check between "electron-updater downloaded a file" and "it may be installed" (security finding 19):
// fetch the file's detached signature from the release and verify it against the release keys shipped in
// this app. electron-updater's own SHA-512 check only proves the file is the one the feed named; the feed and
// the file come from the same channel, so whoever controls the channel controls both.
import { basename } from 'node:path';
import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';
import { sha512OfFile, UPDATE_SIGNATURE_MAX_BYTES, verifyUpdateSignature } from './update-signature.ts';

/** The release has no signature for the downloaded file (or it could not be fetched). */
export class UpdateSignatureMissingError extends ExpectedError {
  override readonly name = 'UpdateSignatureMissingError';
}

/** The signature does not verify against any release key: the file was not released by us. */
export class UpdateSignatureInvalidError extends ExpectedError {
  override readonly name = 'UpdateSignatureInvalidError';
}

/** What electron-updater reports with `update-downloaded`. */
export interface DownloadedUpdate {
  readonly version: string;
  readonly downloadedFile: string;
}

/** Resolves when the download may be installed; rejects with one of the errors above otherwise. */
export type VerifyDownloadedUpdate = (update: DownloadedUpdate, signal: AbortSignal) => Promise<void>;

export interface ReleaseUpdateVerifierInit {
  readonly publicKeys: readonly string[];
  readonly signatureUrl: (version: string, fileName: string) => string;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

export function releaseUpdateVerifier(init: ReleaseUpdateVerifierInit): VerifyDownloadedUpdate {
  return async (update, signal) => {
    const fileName = basename(update.downloadedFile);
    const url = init.signatureUrl(update.version, fileName);
    const signatureText = await fetchSignature(url, init, AbortSignal.any([signal, timeout(init)]));
    const sha512 = await sha512OfFile(update.downloadedFile, signal);
    const valid = verifyUpdateSignature({
      publicKeys: init.publicKeys,
      version: update.version,
      fileName,
      sha512,
      signatureText,
    });
    if (!valid)
      throw new UpdateSignatureInvalidError(
        `The update to ${update.version} was not installed: ${fileName} is not signed by an OpenGateway release key.`,
      );
  };
}

function timeout(init: ReleaseUpdateVerifierInit): AbortSignal {
  return AbortSignal.timeout(init.timeoutMs ?? 30_000);
}

async function fetchSignature(url: string, init: ReleaseUpdateVerifierInit, signal: AbortSignal) {
  const missing = (why: string) =>
    new UpdateSignatureMissingError(`The update was not installed: its signature ${why}.`);
  let response: Response;
  try {
    response = await (init.fetch ?? fetch)(url, { signal, redirect: 'follow' });
  } catch {
    throw missing('could not be downloaded');
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => {});
    throw missing(`is not in the release (HTTP ${response.status})`);
  }
  // Read at most a few hundred bytes, whatever the server sends or claims.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > UPDATE_SIGNATURE_MAX_BYTES) throw missing('is not a signature file (too large)');
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof UpdateSignatureMissingError) throw error;
    throw missing('could not be downloaded');
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).toString('utf8');
}
