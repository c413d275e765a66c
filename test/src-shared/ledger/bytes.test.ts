// Map keys and hex must name bytes one-to-one: two different ids sharing a key would let one block pass as
// another (a duplicate, a claimed output) in a view.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, mapKey, mapKeyWithIndex, toHex } from '../../../src-shared/ledger/bytes.ts';

describe('byte names', () => {
  it('toHex is lower-case hex of every byte, for short and long inputs (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 3000 })),
        (bytes) => {
          const hex = toHex(bytes);
          expect(hex).toBe(Buffer.from(bytes).toString('hex'));
          expect(fromHex(hex)).toEqual(bytes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mapKey gives different keys to different bytes, whatever their lengths (property)', () => {
    const sized = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }));
    fc.assert(
      fc.property(sized, sized, (a, b) => {
        const same = a.length === b.length && a.every((x, i) => x === b[i]);
        expect(mapKey(a) === mapKey(b)).toBe(same);
      }),
      { numRuns: 2000 },
    );
    // Pairs that differ in one byte of a 32-byte id, including the high byte of a 16-bit unit.
    const id = new Uint8Array(32).fill(0xab);
    for (let i = 0; i < 32; i++) {
      const other = id.slice();
      other[i]! ^= 0x80;
      expect(mapKey(other)).not.toBe(mapKey(id));
    }
  });

  it('mapKeyWithIndex names (32 bytes, index) pairs one-to-one and never collides with a mapKey (property)', () => {
    const id = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const index = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    fc.assert(
      fc.property(id, index, id, index, (a, i, b, j) => {
        const same = i === j && a.every((x, k) => x === b[k]);
        expect(mapKeyWithIndex(a, i) === mapKeyWithIndex(b, j)).toBe(same);
        expect(mapKeyWithIndex(a, i)).not.toBe(mapKey(b));
      }),
      { numRuns: 2000 },
    );
    const zero = new Uint8Array(32);
    expect(mapKeyWithIndex(zero, 1)).not.toBe(mapKeyWithIndex(zero, 0x10000));
  });
});
