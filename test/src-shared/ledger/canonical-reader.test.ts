// The fast canonical readers must accept exactly what decode-then-re-encode accepts, with the same result:
// otherwise one body (or one RESERVE's terms, or one OPEN's machine binding) could have two encodings, and
// so two ids, on some nodes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBody, decodeBodyByReencoding } from '../../../src-shared/ledger/block-codec.ts';
import {
  decodeMachineBinding,
  decodeMachineBindingByReencoding,
  encodeMachineBinding,
  readMachineBinding,
} from '../../../src-shared/ledger/machine-binding.ts';
import {
  decodeReserveTerms,
  decodeReserveTermsByReencoding,
  encodeReserveTerms,
  readReserveTerms,
} from '../../../src-shared/ledger/reserve-terms.ts';
import { newView, openAccount, paidRequest, testAccount, testParams } from './ledger-fixtures.ts';

const a = testAccount(1);
const b = testAccount(2);
const c = testAccount(3);
const view = newView(testParams([{ account: a, tokens: 5_000n }]));
const opens = [openAccount(view, a), openAccount(view, b), openAccount(view, c)];
const { reserve, settle, credits } = paidRequest(
  view,
  a,
  [
    { account: b, weight: 2n },
    { account: c, weight: 1n },
  ],
  1,
  { maxPrompt: 300, maxCompletion: 70_000, prompt: 250, completion: 66_000 },
);
const bodies = [...opens, reserve, settle, ...credits].map((block) => Uint8Array.from(block.bodyBytes));

const terms = readReserveTerms(reserve.body.extra)!;
// Tier ids in several scripts, so that the readers' UTF-8 handling (2-, 3- and 4-byte forms) is exercised.
const termsSamples = ['model-a', 'modèle-ü', '模型-甲', 'm𝔪-𝟙', 'x'.repeat(32), ''].map((tier) =>
  encodeReserveTerms({ ...terms, tier }),
);
const bindingSamples = [
  encodeMachineBinding({ fingerprint: [new Uint8Array(32).fill(7)], inherits: null }),
  encodeMachineBinding({ fingerprint: [], inherits: null }),
  encodeMachineBinding({
    fingerprint: [new Uint8Array(32).fill(9), new Uint8Array(32).fill(4)],
    inherits: { predecessor: b.pk, seq: 300n, head: new Uint8Array(32).fill(5) },
  }),
];

/** Up to three byte edits (set, insert, delete) of one of `samples`. */
function mutationsOf(samples: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.constantFrom(...samples),
      fc.array(
        fc.tuple(fc.constantFrom('set', 'insert', 'delete'), fc.nat(), fc.integer({ min: 0, max: 255 })),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([sample, edits]) => {
      const bytes = Array.from(sample);
      for (const [op, at, value] of edits) {
        const i = at % (bytes.length + 1);
        if (op === 'set' && i < bytes.length) bytes[i] = value;
        if (op === 'insert') bytes.splice(i, 0, value);
        if (op === 'delete' && i < bytes.length) bytes.splice(i, 1);
      }
      return Uint8Array.from(bytes);
    });
}

function agree<T>(fast: (bytes: Uint8Array) => T | null, reference: (bytes: Uint8Array) => T | null) {
  return (bytes: Uint8Array): void => {
    const expected = reference(bytes);
    if (expected === null) expect(fast(bytes)).toBeNull();
    else expect(fast(bytes)).toEqual(expected);
  };
}

const agreeBody = agree(decodeBody, decodeBodyByReencoding);
const agreeTerms = agree(readReserveTerms, decodeReserveTermsByReencoding);
const agreeBinding = agree(readMachineBinding, decodeMachineBindingByReencoding);

/** Terms with `tierBytes` as the raw UTF-8 of the tier id (encoded by hand: the encoder only takes strings). */
function termsWithTierBytes(tierBytes: readonly number[]): Uint8Array {
  const sample = encodeReserveTerms({ ...terms, tier: 'x' });
  // [array(8), 0x58 0x20, 32 quote id bytes, 0x61 'x', rest]: replace the 2-byte text item at 35..36.
  expect(sample[35]).toBe(0x61);
  const head = tierBytes.length < 24 ? [0x60 + tierBytes.length] : [0x78, tierBytes.length];
  return Uint8Array.from([...sample.subarray(0, 35), ...head, ...tierBytes, ...sample.subarray(37)]);
}

describe('CanonicalReader', () => {
  it('decodes every kind of block exactly like the reference', () => {
    for (const body of bodies) {
      expect(decodeBody(body)).not.toBeNull();
      agreeBody(body);
    }
  });

  it('agrees with decode-then-re-encode on mutated bodies, inserted and deleted bytes, and random bytes (property)', () => {
    fc.assert(fc.property(fc.oneof(mutationsOf(bodies), fc.uint8Array({ maxLength: 400 })), agreeBody), {
      numRuns: 3000,
    });
  });

  it('refuses non-minimal heads that a lax reader would take', () => {
    const body = bodies[0]!;
    // 0x92 = array(18); as 0x98 0x12 the same length is encoded with a needless extra byte.
    const longHeader = Uint8Array.from([0x98, 0x12, ...body.subarray(1)]);
    expect(decodeBody(longHeader)).toBeNull();
    agreeBody(longHeader);
    // v = 1 as 0x18 0x01.
    const longInt = Uint8Array.from([0x92, 0x18, 0x01, ...body.subarray(2)]);
    expect(decodeBody(longInt)).toBeNull();
    agreeBody(longInt);
  });

  it('reads ReserveTerms exactly like the reference, on valid, mutated and random bytes (property)', () => {
    for (const sample of termsSamples) {
      expect(readReserveTerms(sample)).not.toBeNull();
      agreeTerms(sample);
    }
    fc.assert(
      fc.property(fc.oneof(mutationsOf(termsSamples), fc.uint8Array({ maxLength: 200 })), agreeTerms),
      { numRuns: 3000 },
    );
  });

  it('refuses every ill-formed UTF-8 tier id, and a leading byte order mark, like the reference', () => {
    const cases: [string, number[], boolean][] = [
      ['ASCII', [0x61, 0x62], true],
      ['2-byte é', [0xc3, 0xa9], true],
      ['3-byte 模', [0xe6, 0xa8, 0xa1], true],
      ['4-byte 𝔪', [0xf0, 0x9d, 0x94, 0xaa], true],
      ['U+FFFD itself', [0xef, 0xbf, 0xbd], true],
      ['U+FEFF after the start', [0x61, 0xef, 0xbb, 0xbf], true],
      ['U+10FFFF', [0xf4, 0x8f, 0xbf, 0xbf], true],
      ['leading byte order mark', [0xef, 0xbb, 0xbf, 0x61], false],
      ['lone continuation byte', [0x80], false],
      ['overlong NUL (C0 80)', [0xc0, 0x80], false],
      ['overlong 2-byte (C1 BF)', [0xc1, 0xbf], false],
      ['overlong 3-byte (E0 9F BF)', [0xe0, 0x9f, 0xbf], false],
      ['overlong 4-byte (F0 8F BF BF)', [0xf0, 0x8f, 0xbf, 0xbf], false],
      ['surrogate D800 (ED A0 80)', [0xed, 0xa0, 0x80], false],
      ['above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80], false],
      ['F5 lead byte', [0xf5, 0x80, 0x80, 0x80], false],
      ['truncated 3-byte', [0xe6, 0xa8], false],
      ['truncated 4-byte at the end', [0x61, 0xf0, 0x9d, 0x94], false],
      ['FF byte', [0xff], false],
      ['33 code units', Array.from({ length: 33 }, () => 0x61), false],
      ['32 code units as 16 astral characters', Array(16).fill([0xf0, 0x9d, 0x94, 0xaa]).flat(), true],
      ['34 code units as 17 astral characters', Array(17).fill([0xf0, 0x9d, 0x94, 0xaa]).flat(), false],
    ];
    for (const [name, tierBytes, valid] of cases) {
      const bytes = termsWithTierBytes(tierBytes);
      expect(decodeReserveTermsByReencoding(bytes) !== null, `reference: ${name}`).toBe(valid);
      expect(readReserveTerms(bytes) !== null, name).toBe(valid);
      agreeTerms(bytes);
    }
  });

  it('reads MachineBinding exactly like the reference, on valid, mutated and random bytes (property)', () => {
    for (const sample of bindingSamples) {
      expect(readMachineBinding(sample)).not.toBeNull();
      agreeBinding(sample);
    }
    fc.assert(
      fc.property(fc.oneof(mutationsOf(bindingSamples), fc.uint8Array({ maxLength: 200 })), agreeBinding),
      { numRuns: 3000 },
    );
  });

  it('decodes terms and bindings into private copies that the caller’s buffer cannot change', () => {
    const termBytes = Uint8Array.from(termsSamples[0]!);
    const decoded = decodeReserveTerms(termBytes)!;
    const quoteId = Uint8Array.from(decoded.quoteId);
    termBytes.fill(0);
    expect(decoded.quoteId).toEqual(quoteId);
    const bindingBytes = Uint8Array.from(bindingSamples[2]!);
    const binding = decodeMachineBinding(bindingBytes)!;
    const predecessor = Uint8Array.from(binding.inherits!.predecessor);
    bindingBytes.fill(0);
    expect(binding.inherits!.predecessor).toEqual(predecessor);
  });
});
