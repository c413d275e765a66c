// Signs a release's update files with the release key (security finding 19; the app's check is
// src-main/app/updater/update-verifier.ts). Run by .github/workflows/release.yml after electron-builder:
//
//   UPDATE_SIGNING_KEY="$(cat release-key.pem)" node scripts/sign-update.ts --version 1.2.3 FILE...
//       writes FILE.sig beside each file (one line: the base64 Ed25519 signature)
//   node scripts/sign-update.ts --public-key release-key.pem
//       prints the key's public half, the line to add to src-main/app/updater/release-keys.ts
//
// The key is a PKCS#8 PEM Ed25519 private key (`openssl genpkey -algorithm ed25519`); it is read from the
// environment, never from a file in the repository, and never printed.
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import {
  releasePublicKeyText,
  sha512OfFile,
  signUpdate,
  UPDATE_SIGNATURE_SUFFIX,
  verifyUpdateSignature,
} from '../src-main/app/updater/update-signature.ts';
import { RELEASE_PUBLIC_KEYS } from '../src-main/app/updater/release-keys.ts';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { version: { type: 'string' }, 'public-key': { type: 'string' } },
  });
  if (values['public-key'] !== undefined) {
    console.log(releasePublicKeyText(await readFile(values['public-key'], 'utf8')));
    return 0;
  }
  const key = process.env.UPDATE_SIGNING_KEY ?? '';
  if (key.trim() === '') {
    // Apps that ship a release key refuse unsigned updates: such a release must not be published.
    if (RELEASE_PUBLIC_KEYS.length > 0) {
      console.error('sign-update: UPDATE_SIGNING_KEY is not set, and the app refuses unsigned updates');
      return 1;
    }
    console.log('::warning::UPDATE_SIGNING_KEY is not set: the update files are not signed');
    return 0;
  }
  const version =
    values.version ?? (JSON.parse(await readFile('package.json', 'utf8')) as { version: string }).version;
  if (positionals.length === 0) {
    console.error('sign-update: no files to sign');
    return 1;
  }
  const publicKey = releasePublicKeyText(key);
  if (RELEASE_PUBLIC_KEYS.length > 0 && !RELEASE_PUBLIC_KEYS.includes(publicKey)) {
    console.error('sign-update: this key is not in release-keys.ts: the app would refuse these updates');
    return 1;
  }
  for (const file of positionals) {
    const sha512 = await sha512OfFile(file);
    const signatureText = signUpdate(key, version, basename(file), sha512);
    // What the app will do with it, before it is published.
    if (
      !verifyUpdateSignature({
        publicKeys: [publicKey],
        version,
        fileName: basename(file),
        sha512,
        signatureText,
      })
    )
      throw new Error(`the signature of ${file} does not verify`);
    await writeFile(`${file}${UPDATE_SIGNATURE_SUFFIX}`, signatureText);
    console.log(`signed ${basename(file)} (${version})`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`sign-update: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
