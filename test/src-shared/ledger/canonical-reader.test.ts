// The fast canonical reader must accept exactly what decode-then-re-encode accepts, with the same result:
// otherwise one body could have two encodings (two ids) on some nodes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBody, decodeBodyByReencoding } from '../../../src-shared/ledger/block-codec.ts';
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

function agree(bytes: Uint8Array): void {
  const fast = decodeBody(bytes);
  const reference = decodeBodyByReencoding(bytes);
  if (reference === null) expect(fast).toBeNull();
  else expect(fast).toEqual(reference);
}

describe('CanonicalReader (decodeBody)', () => {
  it('decodes every kind of block exactly like the reference', () => {
    for (const body of bodies) {
      expect(decodeBody(body)).not.toBeNull();
      agree(body);
    }
  });

  it('agrees with decode-then-re-encode on mutated bodies, inserted and deleted bytes, and random bytes (property)', () => {
    const mutated = fc
      .tuple(
        fc.constantFrom(...bodies),
        fc.array(
          fc.tuple(fc.constantFrom('set', 'insert', 'delete'), fc.nat(), fc.integer({ min: 0, max: 255 })),
          { minLength: 1, maxLength: 3 },
        ),
      )
      .map(([body, edits]) => {
        const bytes = Array.from(body);
        for (const [op, at, value] of edits) {
          const i = at % (bytes.length + 1);
          if (op === 'set' && i < bytes.length) bytes[i] = value;
          if (op === 'insert') bytes.splice(i, 0, value);
          if (op === 'delete' && i < bytes.length) bytes.splice(i, 1);
        }
        return Uint8Array.from(bytes);
      });
    fc.assert(fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 400 })), agree), { numRuns: 3000 });
  });

  it('refuses non-minimal heads that a lax reader would take', () => {
    const body = bodies[0]!;
    // 0x92 = array(18); as 0x98 0x12 the same length is encoded with a needless extra byte.
    const longHeader = Uint8Array.from([0x98, 0x12, ...body.subarray(1)]);
    expect(decodeBody(longHeader)).toBeNull();
    agree(longHeader);
    // v = 1 as 0x18 0x01.
    const longInt = Uint8Array.from([0x92, 0x18, 0x01, ...body.subarray(2)]);
    expect(decodeBody(longInt)).toBeNull();
    agree(longInt);
  });
});
