// The decoder's field sharing must never hand out an array with other bytes than the field's: values that
// share a slot, or even their first six bytes (slot and prefix), must still come back as themselves.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldInterner } from '../../../src-shared/ledger/field-interner.ts';

describe('FieldInterner', () => {
  it('returns the bytes of the field asked for, shared with the last equal value of its slot (property)', () => {
    // Values from a small alphabet of heads and tails, so slots, prefixes and whole values repeat often.
    const value = fc
      .tuple(fc.constantFrom(0, 1, 0x101), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }))
      .map(([head, middle, tail]) => {
        const bytes = new Uint8Array(32);
        bytes[0] = head & 0xff;
        bytes[1] = head >> 8;
        bytes[2] = middle;
        bytes[31] = tail;
        return bytes;
      });
    fc.assert(
      fc.property(fc.array(fc.tuple(value, fc.boolean()), { maxLength: 60 }), (steps) => {
        const interner = new FieldInterner(4);
        // A model of the four slots: the array each last stored.
        const model = new Map<number, Uint8Array>();
        const slotOf = (b: Uint8Array) => (b[0]! | (b[1]! << 8)) & 3;
        const same = (a: Uint8Array, b: Uint8Array) => a.every((x, i) => x === b[i]);
        for (const [bytes, asPut] of steps) {
          // Each field sits inside a larger buffer, as in a block.
          const buffer = new Uint8Array(40);
          buffer.set(bytes, 5);
          if (asPut) {
            const value = buffer.subarray(5, 37);
            interner.put(value);
            model.set(slotOf(bytes), value);
            continue;
          }
          const field = interner.take(buffer, 5);
          expect(Array.from(field)).toEqual(Array.from(bytes));
          const stored = model.get(slotOf(bytes));
          if (stored !== undefined && same(stored, bytes)) expect(field).toBe(stored);
          else expect(field.buffer).toBe(buffer.buffer);
          model.set(slotOf(bytes), field);
        }
      }),
      { numRuns: 500 },
    );
  });
});
