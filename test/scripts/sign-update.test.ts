// The release workflow's signing step (scripts/sign-update.ts) run for real, and what the app then does with
// its output: the app's own check accepts it, and refuses it once the file or the version changes.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RELEASE_DOWNLOAD_BASE, releaseSignatureUrl } from '../../src-main/app/updater/release-keys.ts';
import {
  releasePublicKeyText,
  sha512OfFile,
  verifyUpdateSignature,
} from '../../src-main/app/updater/update-signature.ts';

const run = promisify(execFile);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-sign-update-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scripts/sign-update.ts', () => {
  it('writes signatures the app accepts for that file and version only', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const file = join(dir, 'OpenGateway-0.3.0-arm64-mac.zip');
    await writeFile(file, randomBytes(100_000));
    await run(process.execPath, ['scripts/sign-update.ts', '--version', '0.3.0', file], {
      env: { ...process.env, UPDATE_SIGNING_KEY: pem },
    });
    const signatureText = await readFile(`${file}.sig`, 'utf8');
    const input = {
      publicKeys: [releasePublicKeyText(pem)],
      version: '0.3.0',
      fileName: 'OpenGateway-0.3.0-arm64-mac.zip',
      sha512: await sha512OfFile(file),
      signatureText,
    };
    expect(verifyUpdateSignature(input)).toBe(true);
    expect(verifyUpdateSignature({ ...input, version: '0.3.1' })).toBe(false);
    expect(verifyUpdateSignature({ ...input, fileName: 'OpenGateway-0.3.0-x64-mac.zip' })).toBe(false);
    expect(verifyUpdateSignature({ ...input, sha512: Buffer.alloc(64) })).toBe(false);
    expect(verifyUpdateSignature({ ...input, signatureText: `${signatureText}x` })).toBe(false);
    expect(verifyUpdateSignature({ ...input, publicKeys: ['not a key'] })).toBe(false);
    // The public half it prints is the one that verifies.
    await writeFile(join(dir, 'key.pem'), pem);
    const printed = await run(process.execPath, [
      'scripts/sign-update.ts',
      '--public-key',
      join(dir, 'key.pem'),
    ]);
    expect(printed.stdout.trim()).toBe(releasePublicKeyText(pem));
  });

  it('looks for signatures in the release electron-builder publishes to', async () => {
    const config = await readFile('electron-builder.yml', 'utf8');
    const owner = /^\s+owner:\s*(\S+)$/m.exec(config)?.[1];
    const repo = /^\s+repo:\s*(\S+)$/m.exec(config)?.[1];
    expect(RELEASE_DOWNLOAD_BASE).toBe(`https://github.com/${owner}/${repo}/releases/download`);
    expect(releaseSignatureUrl('0.3.0', 'OpenGateway-Setup-0.3.0.exe')).toBe(
      `${RELEASE_DOWNLOAD_BASE}/v0.3.0/OpenGateway-Setup-0.3.0.exe.sig`,
    );
    // No artifact name has a space: GitHub would rename the asset and its signature would not be found.
    expect(config).not.toMatch(/artifactName:.*\s\$\{version\}/);
  });
});
