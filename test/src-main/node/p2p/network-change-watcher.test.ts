import { describe, expect, it } from 'vitest';
import { NetworkChangeWatcher } from '../../../../src-main/node/p2p/network-change-watcher.ts';

describe('network change watcher', () => {
  it('fires once per change of the interface addresses, not for reordering', async () => {
    let addresses = ['192.168.1.20', 'fe80::1'];
    const watcher = new NetworkChangeWatcher({ intervalMs: 60_000, addresses: () => addresses });
    const changes: (readonly string[])[] = [];
    watcher.addEventListener('change', (event) => changes.push(event.detail));
    await watcher.start();
    addresses = ['fe80::1', '192.168.1.20'];
    watcher.check();
    expect(changes).toEqual([]);
    addresses = ['10.0.0.7'];
    watcher.check();
    watcher.check();
    expect(changes).toEqual([['10.0.0.7']]);
    await watcher.stop();
  });
});
