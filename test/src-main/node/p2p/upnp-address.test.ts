import { afterEach, describe, expect, it } from 'vitest';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { parseGatewayAddress } from '../../../../src-main/node/p2p/upnp-external-address.ts';
import { startLoopbackP2p, waitFor } from './loopback-network.ts';
import { startGatewayStandIn, type GatewayStandIn } from './upnp-gateway-stand-in.ts';

const running: P2pService[] = [];
const gateways: GatewayStandIn[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((node) => node.stop()));
  await Promise.allSettled(gateways.splice(0).map((gateway) => gateway.close()));
});

async function nodeBehind(gateway: GatewayStandIn): Promise<P2pService> {
  const node = await startLoopbackP2p({
    upnp: true,
    // libp2p's UPnP service needs AutoNAT to confirm what it maps.
    natTraversal: true,
    upnpGateways: [gateway.descriptorUrl],
    upnpAddressCheckMs: 100,
  });
  running.push(node);
  return node;
}

async function gatewayAnswering(address: string): Promise<GatewayStandIn> {
  const gateway = await startGatewayStandIn(address);
  gateways.push(gateway);
  return gateway;
}

describe('the UPnP gateway address', { timeout: 60_000 }, () => {
  it('is announced as upnp-address when libp2p learns it, and again only when it changes', async () => {
    const gateway = await gatewayAnswering('203.0.113.7');
    const node = await nodeBehind(gateway);
    const announced: string[] = [];
    node.addEventListener('upnp-address', (event) => announced.push(event.detail));
    await waitFor('the gateway address', () => node.upnpAddress === '203.0.113.7');

    // libp2p keeps asking; the same answer is not news.
    const asked = gateway.externalAddressQueries;
    await waitFor('three more questions to the gateway', () => gateway.externalAddressQueries >= asked + 3);
    // (The first announcement may have come before this listener was added.)
    expect(announced.filter((ip) => ip === '203.0.113.7').length).toBeLessThanOrEqual(1);
    expect(announced.filter((ip) => ip !== '203.0.113.7')).toEqual([]);

    gateway.externalAddress = '198.51.100.23';
    await waitFor('the new address', () => announced.includes('198.51.100.23'));
    expect(node.upnpAddress).toBe('198.51.100.23');
    expect(announced.filter((ip) => ip === '198.51.100.23')).toHaveLength(1);
  });

  it('ignores a gateway answer that is not an IP address, and keeps listening', async () => {
    const gateway = await gatewayAnswering('not-an-ip');
    const node = await nodeBehind(gateway);
    const announced: string[] = [];
    node.addEventListener('upnp-address', (event) => announced.push(event.detail));
    await waitFor('three answers', () => gateway.externalAddressQueries >= 3);
    gateway.externalAddress = '300.1.2.3';
    const asked = gateway.externalAddressQueries;
    await waitFor('three more answers', () => gateway.externalAddressQueries >= asked + 3);
    expect(node.upnpAddress).toBeNull();
    expect(announced).toEqual([]);

    gateway.externalAddress = '203.0.113.9';
    await waitFor('a valid address', () => announced.includes('203.0.113.9'));
    expect(announced).toEqual(['203.0.113.9']);
  });

  it('forgets the address when the node stops', async () => {
    const gateway = await gatewayAnswering('203.0.113.7');
    const node = await nodeBehind(gateway);
    await waitFor('the gateway address', () => node.upnpAddress === '203.0.113.7');
    await node.stop();
    expect(node.upnpAddress).toBeNull();
  });
});

describe('parseGatewayAddress', () => {
  it('accepts IPv4 and IPv6 text, normalised', () => {
    expect(parseGatewayAddress(' 203.0.113.7 ')).toBe('203.0.113.7');
    expect(parseGatewayAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(parseGatewayAddress('[2001:DB8::1]')).toBe('2001:db8::1');
  });

  it('refuses anything else', () => {
    for (const value of [
      undefined,
      null,
      7,
      {},
      ['1.2.3.4'],
      '',
      'router',
      '1.2.3',
      `1.2.3.4${' '.repeat(80)}`,
    ])
      expect(parseGatewayAddress(value)).toBeNull();
  });
});
