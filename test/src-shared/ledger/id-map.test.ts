// The view's block index: every id finds its own block, also when ids share a slot (forced here by a mix
// that sends every id to one slot, as an attacker grinding ids would try to).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdMap } from '../../../src-shared/ledger/id-map.ts';

interface Entry {
  readonly id: Uint8Array;
  readonly n: number;
}

describe('IdMap', () => {
  for (const [name, mix] of [
    ['random slots', undefined],
    ['every id in one slot', [0, 0] as const],
  ] as const) {
    it(`finds every id's value and nothing else, with ${name} (property)`, () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), {
            maxLength: 40,
            selector: (id) => Array.from(id).join(','),
          }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          (ids, other) => {
            const map = new IdMap<Entry>((e) => e.id, mix);
            ids.forEach((id, n) => map.set({ id, n }));
            expect(map.size).toBe(ids.length);
            ids.forEach((id, n) => expect(map.get(Uint8Array.from(id))?.n).toBe(n));
            const known = ids.some((id) => id.every((x, i) => x === other[i]));
            expect(map.has(other)).toBe(known);
            expect(map.get(other.subarray(1))).toBeUndefined();
            expect([...map.values()].map((e) => e.n).sort((a, b) => a - b)).toEqual(ids.map((_, n) => n));
            // Storing under a known id replaces its value.
            if (ids.length > 0) {
              map.set({ id: Uint8Array.from(ids[0]!), n: -1 });
              expect(map.get(ids[0]!)?.n).toBe(-1);
              expect(map.size).toBe(ids.length);
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});
