// The hand-written encoders must write exactly what the generic canonical encoder writes, and the fast
// reader of blocks replies must accept exactly what decode-then-re-encode accepts: a reply with two
// encodings would let one peer's bytes mean different things to different nodes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { encodeCanonical } from '../../../../src-shared/ledger/strict-cbor.ts';
import {
  decodeSyncResponse,
  decodeSyncResponseByReencoding,
  encodeSyncResponse,
  MAX_RANGE_BLOCKS,
  type SyncResponse,
} from '../../../../src-shared/ledger/sync/sync-messages.ts';

const bytesOf = (length: number, fill: number) => new Uint8Array(length).fill(fill);
// Lengths around every head size boundary (23/24, 255/256, 65535/65536).
const boundaryLength = fc.constantFrom(0, 1, 23, 24, 255, 256, 300, 4096, 65_535, 65_536);

describe('sync messages', () => {
  it('encodeBlock writes what the generic encoder writes, at every head size (property)', () => {
    fc.assert(
      fc.property(boundaryLength, fc.constantFrom(0, 1, 64, 300), (bodyLength, sigLength) => {
        const block = { bodyBytes: bytesOf(bodyLength, 7), sig: bytesOf(sigLength, 9) };
        expect(encodeBlock(block)).toEqual(encodeCanonical([block.bodyBytes, block.sig]));
      }),
      { numRuns: 60 },
    );
  });

  it('a blocks reply is written as the generic encoder writes it, and read back (property)', () => {
    fc.assert(
      fc.property(fc.array(boundaryLength, { maxLength: 30 }), (lengths) => {
        const blocks = lengths.map((n, i) => bytesOf(Math.min(n, 8192), i));
        const encoded = encodeSyncResponse({ type: 'blocks', blocks });
        expect(encoded).toEqual(encodeCanonical([1, blocks]));
        expect(decodeSyncResponse(encoded)).toEqual({ type: 'blocks', blocks });
      }),
      { numRuns: 100 },
    );
  });

  it('reads blocks replies exactly like decode-then-re-encode, on mutated and random bytes (property)', () => {
    const samples = [0, 1, 2, 24, MAX_RANGE_BLOCKS, MAX_RANGE_BLOCKS + 1].map((count) =>
      encodeCanonical([1, Array.from({ length: count }, (_, i) => bytesOf(i % 3 === 0 ? 300 : 20, i))]),
    );
    const mutated = fc
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
          // Most edits near the front, where the heads are.
          const i = (at % 2 === 0 ? at % 12 : at) % (bytes.length + 1);
          if (op === 'set' && i < bytes.length) bytes[i] = value;
          if (op === 'insert') bytes.splice(i, 0, value);
          if (op === 'delete' && i < bytes.length) bytes.splice(i, 1);
        }
        return Uint8Array.from(bytes);
      });
    const agree = (bytes: Uint8Array) => {
      const expected: SyncResponse | null = decodeSyncResponseByReencoding(bytes);
      if (expected === null) expect(decodeSyncResponse(bytes)).toBeNull();
      else expect(decodeSyncResponse(bytes)).toEqual(expected);
    };
    for (const sample of samples) agree(sample);
    expect(decodeSyncResponse(samples.at(-1)!)).toBeNull(); // more blocks than a reply may carry
    const withPrefix = fc.uint8Array({ maxLength: 60 }).map((tail) => Uint8Array.from([0x82, 0x01, ...tail]));
    fc.assert(fc.property(fc.oneof(mutated, withPrefix, fc.uint8Array({ maxLength: 60 })), agree), {
      numRuns: 3000,
    });
  });

  it('decodes a blocks reply into a private copy', () => {
    const encoded = encodeSyncResponse({ type: 'blocks', blocks: [bytesOf(40, 5)] });
    const decoded = decodeSyncResponse(encoded)!;
    encoded.fill(0);
    expect(decoded).toEqual({ type: 'blocks', blocks: [bytesOf(40, 5)] });
  });
});
