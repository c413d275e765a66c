import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackMultiaddr, localOnlyFromEnv } from '../../../../src-main/node/p2p/local-only.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { startLoopbackP2p, waitFor } from './loopback-network.ts';

const running: P2pService[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((node) => node.stop()));
});

describe('OPENGATEWAY_LOCAL_ONLY', { timeout: 60_000 }, () => {
  it('is read from the environment', () => {
    expect(localOnlyFromEnv({ OPENGATEWAY_LOCAL_ONLY: '1' })).toBe(true);
    expect(localOnlyFromEnv({ OPENGATEWAY_LOCAL_ONLY: 'true' })).toBe(true);
    expect(localOnlyFromEnv({ OPENGATEWAY_LOCAL_ONLY: '0' })).toBe(false);
    expect(localOnlyFromEnv({})).toBe(false);
    // The test command sets it for every test (vitest.config.ts).
    expect(localOnlyFromEnv(process.env)).toBe(true);
  });

  it('counts only loopback addresses as local, never a name', () => {
    expect(isLoopbackMultiaddr(multiaddr('/ip4/127.0.0.1/tcp/4001'))).toBe(true);
    expect(isLoopbackMultiaddr(multiaddr('/ip4/127.4.5.6/tcp/1/ws'))).toBe(true);
    expect(isLoopbackMultiaddr(multiaddr('/ip6/::1/tcp/4001'))).toBe(true);
    expect(isLoopbackMultiaddr(multiaddr('/ip4/8.8.8.8/tcp/4001'))).toBe(false);
    expect(isLoopbackMultiaddr(multiaddr('/ip4/192.168.1.2/tcp/4001'))).toBe(false);
    expect(isLoopbackMultiaddr(multiaddr('/dns4/localhost/tcp/4001'))).toBe(false);
    expect(isLoopbackMultiaddr(multiaddr('/dnsaddr/bootstrap.example.org'))).toBe(false);
  });

  it('a local-only node refuses to dial a public address, and still dials loopback', async () => {
    const local = await startLoopbackP2p({ localOnly: true });
    const other = await startLoopbackP2p();
    running.push(local, other);
    // 192.0.2.1 (TEST-NET-1) stands for any public host: the gater refuses before a packet is sent.
    const publicTarget = multiaddr(`/ip4/192.0.2.1/tcp/4001/p2p/${other.peerId}`);
    await expect(local.libp2p.dial(publicTarget, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow(
      expect.objectContaining({ name: 'DialDeniedError' }) as Error,
    );
    await expect(
      local.libp2p.dial(multiaddr('/dnsaddr/bootstrap.example.org'), { signal: AbortSignal.timeout(5_000) }),
    ).rejects.toThrow();
    const connection = await local.libp2p.dial(multiaddr(other.listenAddresses()[0]), {
      signal: AbortSignal.timeout(5_000),
    });
    expect(connection.remotePeer.toString()).toBe(other.peerId);
  });

  it('a local-only node drops bootstrap names and public bootstrap addresses, and runs no UPnP or mDNS', async () => {
    const other = await startLoopbackP2p();
    running.push(other);
    const local = await startLoopbackP2p({
      localOnly: true,
      upnp: true,
      mdns: true,
      bootstrap: [`/dnsaddr/bootstrap.example.org/p2p/${other.peerId}`, other.listenAddresses()[0]!],
    });
    running.push(local);
    expect(Object.keys(local.libp2p.services)).not.toContain('upnp');
    // The loopback bootstrap node is still used; the name was never resolved (no resolver, gated).
    await waitFor('the loopback bootstrap node is connected', () => local.connectionCount() > 0);
    expect(local.libp2p.getConnections().every((c) => isLoopbackMultiaddr(c.remoteAddr))).toBe(true);
  });
});
