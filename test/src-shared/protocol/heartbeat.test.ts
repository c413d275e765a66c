import { encode } from 'cborg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENGINE_STATES,
  MAX_HEARTBEAT_BYTES,
  MEMBER_STATES,
  decodeHeartbeat,
  encodeHeartbeat,
  type Heartbeat,
} from '../../../src-shared/protocol/index.ts';
import { REGION_IDS } from '../../../src-shared/regions/index.ts';

const sample: Heartbeat = {
  peerId: '12D3KooWRm8J3iL796zPFi2EtGGtUJn58AG67gcqzMFHZnnsTzqD',
  region: 'asia',
  tier: 'model-b',
  state: 'active',
  engine: 'ready',
  modelsReady: ['mlx-community/Meta-Llama-3.1-8B-Instruct-8bit'],
  capacity: 4,
  load: 1,
  version: '0.1.0',
  seq: 1_764_000_000_123,
  sentAt: 1_764_000_000_123,
  intervalMs: 5000,
};

function wire(overrides: Record<string, unknown>): Uint8Array {
  return encode({
    v: 1,
    peer: sample.peerId,
    region: sample.region,
    tier: sample.tier,
    state: sample.state,
    engine: sample.engine,
    models: [...sample.modelsReady],
    capacity: sample.capacity,
    load: sample.load,
    version: sample.version,
    seq: sample.seq,
    sentAt: sample.sentAt,
    intervalMs: sample.intervalMs,
    ...overrides,
  });
}

const heartbeatArb: fc.Arbitrary<Heartbeat> = fc.record({
  peerId: fc.stringMatching(/^[1-9A-HJ-NP-Za-km-z]{1,64}$/),
  region: fc.constantFrom(...REGION_IDS),
  tier: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/),
  state: fc.constantFrom(...MEMBER_STATES),
  engine: fc.constantFrom(...ENGINE_STATES),
  modelsReady: fc.array(fc.string({ minLength: 1, maxLength: 24 }), { maxLength: 8 }),
  capacity: fc.integer({ min: 0, max: 1024 }),
  load: fc.integer({ min: 0, max: 1024 }),
  version: fc.string({ maxLength: 32 }),
  seq: fc.nat(),
  sentAt: fc.nat(),
  intervalMs: fc.integer({ min: 50, max: 600_000 }),
});

describe('heartbeat codec', () => {
  it('round-trips a heartbeat and stays far below the size limit', () => {
    const bytes = encodeHeartbeat(sample);
    expect(bytes.byteLength).toBeLessThan(MAX_HEARTBEAT_BYTES / 2);
    expect(decodeHeartbeat(bytes)).toEqual({ ok: true, heartbeat: sample });
  });

  it('round-trips every valid heartbeat (property)', () => {
    fc.assert(
      fc.property(heartbeatArb, (heartbeat) => {
        expect(decodeHeartbeat(encodeHeartbeat(heartbeat))).toEqual({ ok: true, heartbeat });
      }),
    );
  });

  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const result = decodeHeartbeat(bytes);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });

  it('never throws on arbitrary CBOR values and rejects everything outside the schema (property)', () => {
    const value = fc.jsonValue();
    fc.assert(
      fc.property(value, (json) => {
        const result = decodeHeartbeat(encode(json));
        expect(result.ok).toBe(false);
      }),
    );
  });

  it('rejects oversized input before decoding it', () => {
    const result = decodeHeartbeat(new Uint8Array(MAX_HEARTBEAT_BYTES + 1));
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/too large/) as unknown });
  });

  it.each([
    ['an unknown field', { extra: 1 }, /unknown field/],
    ['another schema version', { v: 2 }, /version/],
    ['an unknown region', { region: 'atlantis' }, /region/],
    ['a tier with a slash', { tier: 'model-a/x' }, /tier/],
    ['a negative load', { load: -1 }, /load/],
    ['a fractional capacity', { capacity: 1.5 }, /capacity/],
    ['too many models', { models: Array.from({ length: 9 }, (_, i) => `m${i}`) }, /model list/],
    ['a non-base58 peer id', { peer: '0OIl' }, /peer id/],
    ['a tiny interval', { intervalMs: 1 }, /intervalMs/],
    ['an unknown state', { state: 'zombie' }, /state/],
    ['an engine node id with a space', { engineNode: 'exo node' }, /engine node/],
    ['an empty engine node id', { engineNode: '' }, /engine node/],
    ['a numeric engine node id', { engineNode: 7 }, /engine node/],
  ])('rejects %s', (_name, overrides, reason) => {
    const result = decodeHeartbeat(wire(overrides));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('rejects a missing field', () => {
    const bytes = encode({ v: 1, peer: sample.peerId });
    const result = decodeHeartbeat(bytes);
    expect(result.ok).toBe(false);
  });

  it('rejects non-canonical CBOR (an integer in a longer form than needed)', () => {
    const canonical = wire({ capacity: 4 });
    // Replace the map's "capacity: 4" (0x04) by a one-byte-extended 0x18 0x04.
    const key = new TextEncoder().encode('capacity');
    const at = indexOf(canonical, key) + key.length;
    const loose = new Uint8Array([...canonical.subarray(0, at), 0x18, 0x04, ...canonical.subarray(at + 1)]);
    expect(decodeHeartbeat(canonical).ok).toBe(true);
    expect(decodeHeartbeat(loose).ok).toBe(false);
  });

  it('carries the sender’s EXO node id when it has one, and nothing when not', () => {
    const withNode = { ...sample, engineNode: '12D3KooWExoNodeOfThisMachine' };
    expect(decodeHeartbeat(encodeHeartbeat(withNode))).toEqual({ ok: true, heartbeat: withNode });
    const without = decodeHeartbeat(encodeHeartbeat(sample));
    expect(without.ok && 'engineNode' in without.heartbeat).toBe(false);
  });

  it('refuses to encode an invalid heartbeat', () => {
    expect(() => encodeHeartbeat({ ...sample, load: -5 })).toThrow(RangeError);
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i += 1) {
    for (let j = 0; j < needle.length; j += 1) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
