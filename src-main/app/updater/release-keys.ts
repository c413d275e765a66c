// The public halves of the release keys that sign update files (security finding 19; update-signature.ts).
// The private key lives only in the release workflow's UPDATE_SIGNING_KEY secret. To create one:
//   openssl genpkey -algorithm ed25519 -out release-key.pem
//   npm exec -- node scripts/sign-update.ts --public-key release-key.pem   (prints the line to add below)
// then store release-key.pem's text as the secret and keep the file offline. Rotating: add the new key here,
// release, switch the secret, and drop the old key one release later. While this list is empty the app does
// not update itself (it says so), because it would have nothing to check an update against.

/** Base64 of each raw 32-byte Ed25519 public key whose signatures the updater accepts. */
export const RELEASE_PUBLIC_KEYS: readonly string[] = [];

/** Where a release's files are published (electron-builder.yml `publish`: GitHub, opengateway/opengateway). */
export const RELEASE_DOWNLOAD_BASE = 'https://github.com/opengateway/opengateway/releases/download';

/** The address of a file's signature in the release of `version` (tags are `v<version>`). */
export function releaseSignatureUrl(version: string, fileName: string): string {
  return `${RELEASE_DOWNLOAD_BASE}/v${encodeURIComponent(version)}/${encodeURIComponent(fileName)}.sig`;
}
