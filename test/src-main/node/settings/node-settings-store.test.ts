// The node's settings have one owner: the store writes only real changes and says what changed, so the node
// hands a new capacity to routing once per change (moved here from the contract's ledger test).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSettingsStore } from '../../../../src-main/node/settings/node-settings-store.ts';
import { DEFAULT_NODE_SETTINGS, readNodeSettings } from '../../../../src-main/node/settings/node-settings.ts';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-settings-store-'));
  path = join(dir, 'settings.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the node settings store', () => {
  it('starts from the defaults and writes a change once, 0600', async () => {
    const store = new NodeSettingsStore(path);
    expect(await store.stored()).toBeNull();
    expect(await store.read()).toEqual(DEFAULT_NODE_SETTINGS);
    const first = await store.update({ maxConcurrentRequests: 5 });
    expect(first.previous.maxConcurrentRequests).toBe(DEFAULT_NODE_SETTINGS.maxConcurrentRequests);
    expect(first.next.maxConcurrentRequests).toBe(5);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const modified = (await stat(path)).mtimeMs;

    // The same value again is no change: the node does not touch routing, the file is not rewritten.
    const same = await store.update({ maxConcurrentRequests: 5, gpuMemoryShare: first.next.gpuMemoryShare });
    expect(same.next).toEqual(same.previous);
    expect((await stat(path)).mtimeMs).toBe(modified);

    await store.update({ regionOverride: 'asia' });
    expect(await readNodeSettings(path)).toEqual({ ...first.next, regionOverride: 'asia' });
    await store.update({ regionOverride: null });
    expect((await readNodeSettings(path))?.regionOverride).toBeNull();
  });
});
