import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentityService } from '../../../../src-main/node/identity/identity-service.ts';
import type { HardwareIds } from '../../../../src-main/node/identity/machine-fingerprint.ts';
import { locationsFor, type Locations } from '../../../../src-main/node/locations.ts';

const NO_IDS: HardwareIds = {
  'hardware-uuid': [''],
  'system-uuid': [''],
  'system-serial': ['-'],
  'baseboard-serial': [''],
  'disk-serial': [],
  'os-machine-id': ['3d1219c7c4c5404aaa1f6d2a48adfda4'],
};

let locations: Locations;
beforeEach(async () => {
  locations = locationsFor(await mkdtemp(join(tmpdir(), 'og-identity-')));
});
afterEach(async () => {
  await rm(locations.dataDir, { recursive: true, force: true });
});

async function startIdentity() {
  const identity = new IdentityService({ locations }, { readHardwareIds: () => Promise.resolve(NO_IDS) });
  await identity.start();
  return identity;
}

describe('the node key', () => {
  it('is created on first start, stored 0600, and loaded unchanged on the next start', async () => {
    const first = await startIdentity();
    expect(first.created).toBe(true);
    expect((await stat(locations.identityKey)).mode & 0o777).toBe(0o600);
    const second = await startIdentity();
    expect(second.created).toBe(false);
    expect(second.peerId.toString()).toBe(first.peerId.toString());
    expect(second.peerId.type).toBe('Ed25519');
  });

  it('refuses a corrupt key file with a clear error and never overwrites it', async () => {
    await writeFile(locations.identityKey, Buffer.from('this is not a protobuf key'));
    await expect(startIdentity()).rejects.toThrow(/node key at .* is unreadable.*left untouched/);
    expect(await readFile(locations.identityKey, 'utf8')).toBe('this is not a protobuf key');
  });

  it('refuses an empty key file (a crash during a copy) without replacing it', async () => {
    await writeFile(locations.identityKey, '');
    await expect(startIdentity()).rejects.toThrow('the file is empty');
    expect((await stat(locations.identityKey)).size).toBe(0);
  });

  it('leaves no temporary files behind', async () => {
    await startIdentity();
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(locations.dataDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
