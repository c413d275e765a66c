// The portable verifier and OpenSSL must give the same answer on every input, or a signer could make one
// block valid on some nodes and invalid on others.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex } from '../../../../src-shared/ledger/bytes.ts';
import { precheckEd25519, strictEd25519Verify } from '../../../../src-shared/ledger/ed25519-strict.ts';
import {
  createCheckedNativeVerifier,
  createNativeVerifier,
} from '../../../../src-main/node/ledger/native-crypto.ts';

const native = createCheckedNativeVerifier();
const bareOpenSsl = createNativeVerifier();
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;

function le(value: bigint, length = 32): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}
function fromLe(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}
const mod = (a: bigint) => ((a % L) + L) % L;

const secret = new Uint8Array(32).fill(3);
const pk = ed25519.getPublicKey(secret);
const msg = new Uint8Array(32).fill(9);
const goodSig = ed25519.sign(msg, secret);
const torsion = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
const a = mod(ed25519.utils.getExtendedPublicKey(secret).scalar);

function both(sig: Uint8Array, m: Uint8Array, key: Uint8Array): [boolean, boolean] {
  return [strictEd25519Verify(sig, m, key), native(sig, m, key)];
}

describe('Ed25519: portable strict verifier and OpenSSL agree', () => {
  it('accept a valid signature and reject it on any flipped bit', () => {
    expect(both(goodSig, msg, pk)).toEqual([true, true]);
    for (let bit = 0; bit < 512; bit += 7) {
      const sig = goodSig.slice();
      sig[bit >> 3]! ^= 1 << (bit & 7);
      expect(both(sig, msg, pk)).toEqual([false, false]);
    }
    for (let bit = 0; bit < 256; bit += 5) {
      const key = pk.slice();
      key[bit >> 3]! ^= 1 << (bit & 7);
      expect(both(goodSig, msg, key)).toEqual([false, false]);
    }
  });

  it('reject a non-canonical S (S + L) on both', () => {
    const sig = concatBytes(goodSig.subarray(0, 32), le(fromLe(goodSig.subarray(32)) + L));
    expect(precheckEd25519(sig, pk)).toBe(false);
    expect(both(sig, msg, pk)).toEqual([false, false]);
  });

  it('reject every small-order public key, which bare OpenSSL accepts', () => {
    const smallOrder = [
      '0100000000000000000000000000000000000000000000000000000000000000',
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      '0000000000000000000000000000000000000000000000000000000000000080',
      '0000000000000000000000000000000000000000000000000000000000000000',
    ].map(fromHex);
    let bareAccepted = 0;
    for (const key of smallOrder) {
      // R = the key itself or the identity, S = 0: "valid" for a small-order key under a lax rule.
      for (const r of [key, fromHex('0100000000000000000000000000000000000000000000000000000000000000')]) {
        const sig = concatBytes(r, new Uint8Array(32));
        if (bareOpenSsl(sig, msg, key)) bareAccepted++;
        expect(both(sig, msg, key)).toEqual([false, false]);
      }
    }
    expect(bareAccepted).toBeGreaterThan(0);
  });

  it('reject non-canonical encodings of the key and of R', () => {
    const nonCanonical = le(P + 1n); // y = p + 1 ≡ 1
    expect(both(concatBytes(goodSig.subarray(0, 32), goodSig.subarray(32)), msg, nonCanonical)).toEqual([
      false,
      false,
    ]);
    const sig = concatBytes(le(P + 1n), goodSig.subarray(32));
    expect(both(sig, msg, pk)).toEqual([false, false]);
  });

  it('agree on R with a torsion component, where noble zip215:false (cofactored) says valid', () => {
    const r = 123456789n;
    const R = ed25519.Point.BASE.multiply(r).add(torsion).toBytes();
    const k = mod(fromLe(sha512(concatBytes(R, pk, msg))));
    const S = mod(r + k * a);
    const sig = concatBytes(R, le(S));
    expect(ed25519.verify(sig, msg, pk, { zip215: false })).toBe(true);
    expect(both(sig, msg, pk)).toEqual([false, false]);
  });

  it('agree on public keys with a torsion component (mixed order)', () => {
    const A = ed25519.Point.BASE.multiply(a).add(torsion).toBytes();
    let accepted = 0;
    for (let i = 0; i < 32; i++) {
      const m = new Uint8Array(32).fill(i);
      const r = 1000n + BigInt(i);
      const R = ed25519.Point.BASE.multiply(r).toBytes();
      const k = mod(fromLe(sha512(concatBytes(R, A, m))));
      const sig = concatBytes(R, le(mod(r + k * a)));
      const [portable, openssl] = both(sig, m, A);
      expect(portable).toBe(openssl);
      if (portable) accepted++;
    }
    // Valid exactly when k ≡ 0 (mod 8): some of 32 tries, not all.
    expect(accepted).toBeLessThan(32);
  });

  it('agree on arbitrary mutations of valid signatures (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(96 * 8 - 1),
        fc.boolean(),
        (seed, m, bit, flip) => {
          const key = ed25519.getPublicKey(seed);
          const sig = ed25519.sign(m, seed);
          const blob = concatBytes(sig, key);
          if (flip) blob[bit >> 3]! ^= 1 << (bit & 7);
          const s = blob.subarray(0, 64);
          const k = blob.subarray(64);
          const [portable, openssl] = both(s, m, k);
          expect(portable).toBe(openssl);
          expect(portable).toBe(!flip);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keep verifying right with a small key cache, whatever keys it evicted in between', () => {
    const tiny = createCheckedNativeVerifier(2);
    const signers = Array.from({ length: 5 }, (_, i) => new Uint8Array(32).fill(40 + i));
    const keys = signers.map((seed) => ed25519.getPublicKey(seed));
    const sigs = signers.map((seed) => ed25519.sign(msg, seed));
    // Round-robin over more keys than the cache holds, then the most recent ones again: every answer must
    // be the key's own, never a cached neighbour's.
    for (const order of [
      [0, 1, 2, 3, 4, 0, 1, 2, 3, 4],
      [4, 4, 3, 4, 0, 3],
    ]) {
      for (const i of order) {
        expect(tiny(sigs[i]!, msg, keys[i]!)).toBe(true);
        expect(tiny(sigs[i]!, msg, keys[(i + 1) % keys.length]!)).toBe(false);
      }
    }
  });
});
