import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../../../src-shared/ledger/bytes.ts';
import { splitPayment } from '../../../src-shared/ledger/payment-split.ts';

const payee = (n: number) => new Uint8Array(32).fill(n);

describe('splitPayment', () => {
  it('splits 100 over three equal shares as 34/33/33, the extra µT to the first payee by bytes', () => {
    const out = splitPayment(100n, [
      { payee: payee(3), units: 1n },
      { payee: payee(1), units: 1n },
      { payee: payee(2), units: 1n },
    ]);
    expect(out.map((o) => [o.payee[0], o.amount])).toEqual([
      [1, 34n],
      [2, 33n],
      [3, 33n],
    ]);
  });

  it('pays a single payee the whole total, nothing for a zero total, and still refuses bad units', () => {
    expect(splitPayment(12_345n, [{ payee: payee(9), units: 7n }])).toEqual([
      { payee: payee(9), amount: 12_345n, units: 7n },
    ]);
    expect(splitPayment(0n, [{ payee: payee(9), units: 7n }])).toEqual([]);
    expect(() => splitPayment(5n, [{ payee: payee(9), units: 0n }])).toThrow(RangeError);
    expect(() => splitPayment(-1n, [{ payee: payee(9), units: 1n }])).toThrow(RangeError);
  });

  it('sums exactly, stays within 1 µT of the exact share, and ignores input order (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.uniqueArray(
          fc.record({ id: fc.integer({ min: 1, max: 255 }), units: fc.bigInt({ min: 1n, max: 10n ** 9n }) }),
          {
            minLength: 1,
            maxLength: 16,
            selector: (s) => s.id,
          },
        ),
        (total, raw) => {
          const shares = raw.map((s) => ({ payee: payee(s.id), units: s.units }));
          const out = splitPayment(total, shares);
          const reversed = splitPayment(total, [...shares].reverse());
          expect(reversed).toEqual(out);
          let sum = 0n;
          let unitSum = 0n;
          for (const s of shares) unitSum += s.units;
          for (const o of out) {
            sum += o.amount;
            const exactNumerator = total * o.units; // exact share = exactNumerator / unitSum
            expect(o.amount * unitSum >= exactNumerator - unitSum).toBe(true);
            expect(o.amount * unitSum <= exactNumerator + unitSum).toBe(true);
            expect(o.amount > 0n).toBe(true);
          }
          expect(sum).toBe(total);
          for (let i = 1; i < out.length; i++)
            expect(compareBytes(out[i - 1]!.payee, out[i]!.payee)).toBeLessThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a repeated payee and non-positive units', () => {
    expect(() =>
      splitPayment(1n, [
        { payee: payee(1), units: 1n },
        { payee: payee(1), units: 2n },
      ]),
    ).toThrow(RangeError);
    expect(() => splitPayment(1n, [{ payee: payee(1), units: 0n }])).toThrow(RangeError);
  });
});
