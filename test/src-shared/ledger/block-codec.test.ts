import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildOpen } from '../../../src-shared/ledger/block-builders.ts';
import {
  blockFromParts,
  blockIdOf,
  decodeBlock,
  decodeBody,
  encodeBlock,
  encodeBody,
} from '../../../src-shared/ledger/block-codec.ts';
import { bytesEqual, concatBytes, toHex } from '../../../src-shared/ledger/bytes.ts';
import { encodeCanonical } from '../../../src-shared/ledger/strict-cbor.ts';
import {
  appendValid,
  newView,
  openAccount,
  paidRequest,
  sign,
  T0,
  testAccount,
  testParams,
} from './ledger-fixtures.ts';

const gen = testAccount(1);
const worker = testAccount(2);

function sampleSettle() {
  const view = newView(testParams([{ account: gen, tokens: 5_000n }]));
  openAccount(view, gen);
  openAccount(view, worker);
  const { settle, credits } = paidRequest(view, gen, [{ account: worker, weight: 1n }], 1, {
    maxPrompt: 10,
    maxCompletion: 10,
    prompt: 5,
    completion: 5,
  });
  return { view, settle, credit: credits[0]! };
}

describe('block codec', () => {
  it('round-trips a block to the same bytes and id', () => {
    const { settle } = sampleSettle();
    const wire = encodeBlock(settle);
    const back = decodeBlock(wire)!;
    expect(toHex(back.id)).toBe(toHex(settle.id));
    expect(bytesEqual(encodeBlock(back), wire)).toBe(true);
    expect(back.body).toEqual(settle.body);
  });

  it('refuses second encodings of a body: non-minimal integers, floats, maps, indefinite lengths, tags, trailing bytes', () => {
    const { settle } = sampleSettle();
    const bytes = settle.bodyBytes;
    expect(decodeBody(bytes)).not.toBeNull();
    // The first item is v = 1, encoded as 0x01 after the array header 0x92 (18 items).
    expect(bytes[0]).toBe(0x92);
    expect(bytes[1]).toBe(0x01);
    const variants = [
      concatBytes(Uint8Array.of(0x92, 0x18, 0x01), bytes.subarray(2)), // v as a one-byte-extended int
      concatBytes(Uint8Array.of(0x92, 0xf9, 0x3c, 0x00), bytes.subarray(2)), // v = 1.0 as a half float
      concatBytes(Uint8Array.of(0x9f), bytes.subarray(1), Uint8Array.of(0xff)), // indefinite-length array
      concatBytes(Uint8Array.of(0xc6), bytes), // tagged
      concatBytes(bytes, Uint8Array.of(0x00)), // trailing byte
      encodeCanonical(new Map([[0, 1]])), // a map
      Uint8Array.of(0x98, 0x12, ...bytes.subarray(1)), // array length as a one-byte-extended count
    ];
    for (const variant of variants) expect(decodeBody(variant)).toBeNull();
  });

  it('refuses second encodings of the envelope [bodyBytes, sig]', () => {
    const { settle } = sampleSettle();
    const wire = encodeBlock(settle);
    const body = settle.bodyBytes;
    expect(body.length).toBeGreaterThan(255);
    const header = wire.subarray(1, 4); // 0x59 + 16-bit length: the minimal header for this body
    expect(header[0]).toBe(0x59);
    const sig = settle.sig;
    const variants = [
      concatBytes(
        Uint8Array.of(0x82, 0x5a, 0, 0, body.length >> 8, body.length & 0xff),
        body,
        Uint8Array.of(0x58, 0x40),
        sig,
      ), // 32-bit length
      concatBytes(Uint8Array.of(0x82), header, body, Uint8Array.of(0x59, 0x00, 0x40), sig), // non-minimal sig header
      concatBytes(wire, Uint8Array.of(0)), // trailing byte
      concatBytes(Uint8Array.of(0x9f), header, body, Uint8Array.of(0x58, 0x40), sig, Uint8Array.of(0xff)), // indefinite array
      concatBytes(Uint8Array.of(0x83), header, body, Uint8Array.of(0x58, 0x40), sig, Uint8Array.of(0)), // three items
      wire.subarray(0, wire.length - 1), // truncated
    ];
    for (const variant of variants) expect(decodeBlock(variant)).toBeNull();
    expect(decodeBlock(wire)).not.toBeNull();
  });

  it('decodes into a private copy: reusing the wire buffer changes no field, id or signature', () => {
    const { settle } = sampleSettle();
    const wire = encodeBlock(settle);
    const block = decodeBlock(wire)!;
    const fromStore = blockFromParts(Uint8Array.from(settle.bodyBytes), Uint8Array.from(settle.sig))!;
    wire.fill(0xee);
    for (const decoded of [block, fromStore]) {
      expect(decoded.body).toEqual(settle.body);
      expect(toHex(decoded.id)).toBe(toHex(settle.id));
      expect(toHex(decoded.sig)).toBe(toHex(settle.sig));
      expect(toHex(decoded.bodyBytes)).toBe(toHex(settle.bodyBytes));
      expect(toHex(decoded.id)).toBe(toHex(blockIdOf(decoded.bodyBytes)));
    }
    expect(blockFromParts(settle.bodyBytes, settle.sig.subarray(1))).toBeNull();
  });

  it('refuses a body with a field added or removed', () => {
    const { settle } = sampleSettle();
    const ok = encodeBody(settle.body);
    expect(decodeBody(ok)).not.toBeNull();
    const fields = [1, settle.body.net];
    expect(decodeBody(encodeCanonical(fields))).toBeNull();
  });

  it('never accepts a block with any flipped bit (property over every bit position)', () => {
    const { view, credit } = sampleSettle();
    const fresh = newView(view.params);
    for (const account of [gen, worker]) {
      for (let seq = 1n; seq <= view.chain(account.pk)!.ids.length; seq++) {
        const b = view.blockAt(account.pk, seq)!;
        if (b.id !== credit.id) fresh.receive(b, T0);
      }
    }
    const wire = encodeBlock(view.blockAt(worker.pk, 2n)!);
    expect(fresh.check(decodeBlock(wire)!, T0)).toEqual({ status: 'valid' });
    fc.assert(
      fc.property(fc.nat(wire.length * 8 - 1), (bit) => {
        const mutated = wire.slice();
        mutated[bit >> 3]! ^= 1 << (bit & 7);
        const block = decodeBlock(mutated);
        if (block === null) return;
        expect(fresh.check(block, T0).status).not.toBe('valid');
      }),
      { numRuns: 400 },
    );
  });

  it('rejects a block signed for another network, by another key, or with the wrong OPEN amount', () => {
    const params = testParams([{ account: gen, tokens: 5_000n }]);
    const view = newView(params);
    const other = { ...params, networkId: new Uint8Array(32).fill(1) };
    const body = buildOpen(other, gen.pk, T0, { fingerprint: [], inherits: null }, 5_000_000_000n);
    expect(view.receive(sign(gen, body), T0).verdict).toEqual({
      status: 'invalid',
      reason: 'another network',
    });
    const mine = buildOpen(params, gen.pk, T0, { fingerprint: [], inherits: null }, 5_000_000_000n);
    expect(view.receive(sign(worker, mine), T0).verdict).toEqual({
      status: 'invalid',
      reason: 'bad signature',
    });
    const minted = buildOpen(params, worker.pk, T0, { fingerprint: [], inherits: null }, 1n);
    expect(view.receive(sign(worker, minted), T0).verdict).toEqual({
      status: 'invalid',
      reason: 'OPEN creates tokens',
    });
    appendValid(view, gen, mine);
  });
});
