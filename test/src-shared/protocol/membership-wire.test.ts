import fc from 'fast-check';
import { encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import {
  MAX_MEMBERSHIP_MESSAGE_BYTES,
  decodeMembershipMessage,
  encodeMembershipMessage,
  type MembershipMessage,
} from '../../../src-shared/protocol/membership-wire.ts';

const PEER = '12D3KooWAbCdEfGhJkLmNpQrStUvWxYz123456789abcdefghijk';
const OTHER = '12D3KooWZyXwVuTsRqPnMkJhGfEdCbA987654321kjihgfedcba';
const base = { cluster: 'asia/model-a', seq: 7 };
const descriptor = {
  state: 'active',
  engine: 'ready',
  modelsReady: ['m'],
  capacity: 4,
  version: '0.2.0',
} as const;

const messages: MembershipMessage[] = [
  {
    ...base,
    kind: 'ping',
    wantDescriptor: true,
    rumors: [{ kind: 'suspect', peerId: OTHER, incarnation: 3, ttl: 5 }],
  },
  { ...base, kind: 'ack', incarnation: 2, descriptor, rumors: [] },
  { ...base, kind: 'ack', incarnation: 2, rumors: [{ kind: 'alive', peerId: PEER, incarnation: 1, ttl: 0 }] },
  { ...base, kind: 'ping-req', target: OTHER, rumors: [] },
  { ...base, kind: 'shuffle', joining: true, entries: [{ peerId: PEER, incarnation: 0 }], rumors: [] },
  { ...base, kind: 'shuffle-reply', entries: [{ peerId: OTHER, incarnation: 9 }], rumors: [] },
  { ...base, kind: 'load-query', rumors: [{ kind: 'dead', peerId: OTHER, incarnation: 1, ttl: 12 }] },
  { ...base, kind: 'load', capacity: 4, load: 9, ready: true, rumors: [] },
];

describe('membership wire format', () => {
  it('round-trips every message kind', () => {
    for (const message of messages) {
      const decoded = decodeMembershipMessage(encodeMembershipMessage(message));
      expect(decoded).toEqual({ ok: true, message });
    }
  });

  it('refuses what a hostile peer might send, with a reason', () => {
    const reject = (wire: unknown): string => {
      const result = decodeMembershipMessage(encode(wire));
      expect(result.ok).toBe(false);
      return result.ok ? '' : result.reason;
    };
    const ping = { v: 2, t: 'ping', c: 'asia/model-a', s: 1, r: [], w: false };
    expect(reject({ ...ping, v: 1 })).toBe('unsupported version');
    expect(reject({ ...ping, t: 'pong' })).toBe('unknown message kind');
    expect(reject({ ...ping, extra: 1 })).toMatch(/unknown field/);
    expect(reject({ ...ping, s: -1 })).toBe('bad seq');
    expect(reject({ ...ping, r: Array(9).fill({ k: 'dead', p: PEER, i: 0, h: 1 }) })).toBe('bad rumor list');
    expect(reject({ ...ping, r: [{ k: 'dead', p: 'not a peer id!', i: 0, h: 1 }] })).toBe('bad rumor peer');
    expect(reject({ ...ping, r: [{ k: 'dead', p: PEER, i: 0, h: 99 }] })).toBe('bad rumor ttl');
    expect(reject({ ...ping, r: [{ k: 'dead', p: PEER, i: 0, h: 1, d: {} }] })).toBe(
      'only alive rumors carry a descriptor',
    );
    expect(reject({ v: 2, t: 'load', c: 'x', s: 1, r: [], cap: 5000, load: 0, ready: true })).toBe(
      'bad capacity',
    );
    expect(reject({ v: 2, t: 'shuffle', c: 'x', s: 1, r: [], j: false, e: Array(17).fill([PEER, 0]) })).toBe(
      'bad entry list',
    );
    const huge = new Uint8Array(MAX_MEMBERSHIP_MESSAGE_BYTES + 1);
    expect(decodeMembershipMessage(huge)).toMatchObject({ ok: false, reason: /too large/ });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const result = decodeMembershipMessage(bytes);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
