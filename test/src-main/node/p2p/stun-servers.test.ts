import { multiaddr } from '@multiformats/multiaddr';
import { describe, expect, it } from 'vitest';
import {
  isStunServerUrl,
  MAX_STUN_SERVERS,
  stunBindingsFor,
  stunServersFromBootstrap,
} from '../../../../src-main/node/p2p/stun-servers.ts';

const ID = '12D3KooWKHpyoxKPnRG6aHeqkJ3aVQvJukVHTSQQBXpRAHSSUW5T';

describe('STUN servers from the bootstrap list', () => {
  it('asks each bootstrap node by IP at its TCP port, never a name', () => {
    expect(
      stunServersFromBootstrap([
        `/ip4/172.80.0.1/tcp/4001/p2p/${ID}`,
        `/ip4/172.80.0.1/tcp/4001/ws/p2p/${ID}`,
        `/ip6/2001:db8::1/tcp/4002/p2p/${ID}`,
        `/dns4/boot.example.org/tcp/4001/p2p/${ID}`,
        '/dnsaddr/bootstrap.example.org',
        `/ip4/172.80.0.2/udp/4001/quic-v1/p2p/${ID}`,
      ]),
    ).toEqual(['stun:172.80.0.1:4001', 'stun:[2001:db8::1]:4002']);
  });

  it('hands ICE at most a few servers', () => {
    const many = Array.from({ length: 10 }, (_, i) => `/ip4/172.80.0.${i + 1}/tcp/4001/p2p/${ID}`);
    expect(stunServersFromBootstrap(many)).toHaveLength(MAX_STUN_SERVERS);
  });

  it('accepts only stun:<ip>:<port> as a configured server', () => {
    expect(isStunServerUrl('stun:172.80.0.1:4001')).toBe(true);
    expect(isStunServerUrl('stun:[2001:db8::1]:3478')).toBe(true);
    expect(isStunServerUrl('stun:stun.l.google.com:19302')).toBe(false);
    expect(isStunServerUrl('turn:172.80.0.1:3478')).toBe(false);
    expect(isStunServerUrl('stun:172.80.0.1:0')).toBe(false);
    expect(isStunServerUrl('stun:172.80.0.1:70000')).toBe(false);
  });

  it('a relay answers on UDP where it listens on plain TCP', () => {
    expect(
      stunBindingsFor([
        multiaddr(`/ip4/172.80.0.1/tcp/4001/p2p/${ID}`),
        multiaddr('/ip4/127.0.0.1/tcp/4001'),
        multiaddr('/ip4/172.80.0.1/tcp/4002/ws'),
        multiaddr(`/ip4/172.80.0.1/tcp/4001/p2p/${ID}/p2p-circuit`),
        multiaddr('/ip4/172.80.0.1/tcp/4001'),
      ]),
    ).toEqual([
      { host: '172.80.0.1', port: 4001 },
      { host: '127.0.0.1', port: 4001 },
    ]);
  });
});
