// EXO's topology as /state serves it (HEAD and v1.0.6x: `{"sinkMultiaddr": {"address": …}}` socket edges,
// RDMA edges with interface names), decoded into where EXO reached each node; hostile shapes are skipped.
import { describe, expect, it } from 'vitest';
import {
  decodeNodeAddresses,
  ipOfMultiaddr,
  normaliseIp,
} from '../../../../../src-main/node/engine/exo/exo-topology.ts';

describe('EXO topology addresses', () => {
  it('collects each sink’s addresses from every source’s socket edges', () => {
    const addresses = decodeNodeAddresses({
      nodes: ['a', 'b', 'c'],
      connections: {
        a: {
          b: [
            { sinkMultiaddr: { address: '/ip4/192.168.1.7/tcp/52415', ip_address: '192.168.1.7' } },
            { sourceRdmaIface: 'rdma_en2', sinkRdmaIface: 'rdma_en3' },
          ],
          c: [{ sinkMultiaddr: { address: '/ip6/FE80::1/tcp/52415' } }],
        },
        c: { b: [{ sinkMultiaddr: { address: '/ip4/192.168.1.7/tcp/52415' } }] },
      },
    });
    expect(Object.fromEntries(addresses)).toEqual({ b: ['192.168.1.7'], c: ['fe80::1'] });
  });

  it('skips names, garbage and oversized input instead of failing', () => {
    expect(decodeNodeAddresses(undefined).size).toBe(0);
    expect(decodeNodeAddresses({ connections: [] }).size).toBe(0);
    const addresses = decodeNodeAddresses({
      connections: {
        a: {
          b: [{ sinkMultiaddr: { address: '/dns/evil.example/tcp/1' } }, { sinkMultiaddr: 7 }, null],
          c: 'x',
          d: Array.from({ length: 100 }, (_, i) => ({
            sinkMultiaddr: { address: `/ip4/10.0.${i}.1/tcp/1` },
          })),
        },
      },
    });
    expect(addresses.has('b')).toBe(false);
    expect(addresses.get('d')).toHaveLength(16);
  });

  it('reads the IP of a multiaddr in one spelling', () => {
    expect(ipOfMultiaddr('/ip4/127.0.0.2/tcp/4001/p2p/12D3KooW')).toBe('127.0.0.2');
    expect(ipOfMultiaddr('/ip4/999.1.1.1/tcp/1')).toBeNull();
    expect(ipOfMultiaddr('/ip6/::ffff:10.0.0.2/tcp/1')).toBe('10.0.0.2');
    expect(normaliseIp('2001:DB8:0:0::1')).toBe('2001:db8::1');
  });
});
