import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Connection, PeerId } from '@libp2p/interface';
import { defaultLogger } from '@libp2p/logger';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { describe, expect, it } from 'vitest';
import { bestConnection } from '../../../../src-main/node/p2p/open-stream.ts';
import { libp2pConfiguration, wantsWebRtc } from '../../../../src-main/node/p2p/libp2p-options.ts';
import { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { loadWebRtcTransport } from '../../../../src-main/node/p2p/webrtc-transport.ts';
import { webRtcAddressThrough, webRtcDialGater } from '../../../../src-main/node/p2p/webrtc-upgrade.ts';

const RELAY = '12D3KooWKHpyoxKPnRG6aHeqkJ3aVQvJukVHTSQQBXpRAHSSUW5T';
const PEER = '12D3KooWQbvxyQoLSU9pH4RKKwC8i475yAS6xbKrCHoHGaiQpHjc';
const noHooks = { onGatewayAddress: () => undefined, onDiscoveredPeer: () => undefined };

/** The RTCConfiguration the transport hands every RTCPeerConnection it creates. */
async function rtcConfigurationOf(iceServers: readonly string[]): Promise<unknown> {
  const factory = await loadWebRtcTransport(iceServers);
  const transport = factory({ logger: defaultLogger() } as never) as unknown as {
    init: { rtcConfiguration: () => unknown };
  };
  return transport.init.rtcConfiguration();
}

describe('WebRTC hole punching: configuration', () => {
  it('is on for a node that may sit behind NAT, off for relays, local-only and private networks', () => {
    expect(wantsWebRtc({})).toBe(true);
    expect(wantsWebRtc({ relayServer: true })).toBe(false);
    expect(wantsWebRtc({ localOnly: true })).toBe(false);
    expect(wantsWebRtc({ privateNetwork: true })).toBe(false);
    expect(wantsWebRtc({ natTraversal: false })).toBe(false);
    expect(wantsWebRtc({ privateNetwork: true, webrtc: true })).toBe(true);
  });

  it('hands ICE exactly the configured STUN servers: none by default, never the library public ones', async () => {
    expect(await rtcConfigurationOf([])).toEqual({ iceServers: [] });
    expect(await rtcConfigurationOf(['stun:172.80.0.1:4001'])).toEqual({
      iceServers: [{ urls: ['stun:172.80.0.1:4001'] }],
    });
    await expect(loadWebRtcTransport(['stun:stun.l.google.com:19302'])).rejects.toThrow(RangeError);
  });

  it('a node started with bootstrap relays asks them for STUN', async () => {
    const p2p = new P2pService(
      { privateKey: await generateKeyPair('Ed25519') },
      {
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: [`/ip4/127.0.0.1/tcp/9/p2p/${RELAY}`],
        upnp: false,
        dht: false,
        bootstrapRetryMs: 60_000,
      },
    );
    await p2p.start();
    try {
      expect(p2p.webRtc).toEqual({ status: 'on', iceServers: ['stun:127.0.0.1:9'] });
      expect(p2p.libp2p.getProtocols()).toContain('/webrtc-signaling/0.0.1');
    } finally {
      await p2p.stop();
    }
  });

  it('listens on /webrtc and keeps /webrtc dials out of the dial queue only when WebRTC runs', async () => {
    const key = await generateKeyPair('Ed25519');
    const factory = await loadWebRtcTransport([]);
    const on = libp2pConfiguration(key, { listen: ['/ip4/0.0.0.0/tcp/4001'] }, noHooks, factory);
    expect(on.listen).toEqual(['/ip4/0.0.0.0/tcp/4001', '/p2p-circuit', '/webrtc']);
    const gater = on.options.connectionGater!;
    expect(await gater.denyDialMultiaddr!(multiaddr(`/ip4/172.80.0.1/tcp/4001/p2p/${RELAY}`))).toBe(false);
    expect(
      await gater.denyDialMultiaddr!(
        multiaddr(`/ip4/172.80.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`),
      ),
    ).toBe(true);
    const off = libp2pConfiguration(key, { listen: ['/ip4/0.0.0.0/tcp/4001'] }, noHooks);
    expect(off.listen).not.toContain('/webrtc');
    expect(off.options.connectionGater).toBeUndefined();
  });

  it('the gater still applies the rules it wraps', async () => {
    const gater = webRtcDialGater({
      denyDialMultiaddr: (address) => Promise.resolve(address.toString().includes('/ip4/8.')),
    });
    expect(await gater.denyDialMultiaddr!(multiaddr('/ip4/8.8.8.8/tcp/1'))).toBe(true);
    expect(await gater.denyDialMultiaddr!(multiaddr('/ip4/127.0.0.1/tcp/1'))).toBe(false);
  });

  it('dials the peer through the relay it is connected through', () => {
    expect(
      webRtcAddressThrough(`/ip4/172.80.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`, PEER).toString(),
    ).toBe(`/ip4/172.80.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`);
    expect(() => webRtcAddressThrough('/ip4/172.80.0.1/tcp/4001', PEER)).toThrow(RangeError);
  });
});

describe('choosing the connection for a new stream', () => {
  const peer = peerIdFromPrivateKey as unknown as PeerId;
  const connection = (limited: boolean, status = 'open'): Connection =>
    ({ limits: limited ? { bytes: 1n } : undefined, status }) as unknown as Connection;

  it('prefers a direct connection, then a relayed one when allowed, never a closing one', () => {
    const relayed = connection(true);
    const direct = connection(false);
    const closing = connection(false, 'closing');
    const node = (list: Connection[]) => ({ getConnections: () => list });
    expect(bestConnection(node([relayed, closing, direct]), peer, true)).toBe(direct);
    expect(bestConnection(node([closing, relayed]), peer, true)).toBe(relayed);
    expect(bestConnection(node([closing, relayed]), peer, false)).toBeNull();
    expect(bestConnection(node([]), peer, true)).toBeNull();
  });
});
