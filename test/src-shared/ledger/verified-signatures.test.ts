import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import type { SignatureVerifier } from '../../../src-shared/ledger/ed25519-strict.ts';
import { rememberingVerifier } from '../../../src-shared/ledger/verified-signatures.ts';

function counting(): { verify: SignatureVerifier; calls: () => number } {
  let calls = 0;
  return {
    verify: (sig, message, pk) => {
      calls++;
      return ed25519.verify(sig, message, pk);
    },
    calls: () => calls,
  };
}

const secret = new Uint8Array(32).fill(7);
const pk = ed25519.getPublicKey(secret);
const otherPk = ed25519.getPublicKey(new Uint8Array(32).fill(8));
const message = new Uint8Array(32).fill(1);
const sig = ed25519.sign(message, secret);

describe('rememberingVerifier', () => {
  it('checks a signature once and answers its repeats from memory', () => {
    const inner = counting();
    const verify = rememberingVerifier(inner.verify);
    expect(verify(sig, message, pk)).toBe(true);
    expect(verify(sig, message, pk)).toBe(true);
    expect(inner.calls()).toBe(1);
  });

  it('never answers from memory for another message or key, and never remembers a failure', () => {
    const inner = counting();
    const verify = rememberingVerifier(inner.verify);
    expect(verify(sig, message, pk)).toBe(true);
    expect(verify(sig, message, otherPk)).toBe(false);
    expect(verify(sig, new Uint8Array(32).fill(2), pk)).toBe(false);
    const flipped = Uint8Array.from(sig);
    flipped[5]! ^= 1;
    expect(verify(flipped, message, pk)).toBe(false);
    expect(verify(flipped, message, pk)).toBe(false);
    expect(inner.calls()).toBe(5);
  });

  it('keeps at most its capacity, forgetting the oldest', () => {
    const inner = counting();
    const verify = rememberingVerifier(inner.verify, 2);
    const messages = [1, 2, 3].map((n) => new Uint8Array(32).fill(n));
    const sigs = messages.map((m) => ed25519.sign(m, secret));
    messages.forEach((m, i) => verify(sigs[i]!, m, pk));
    expect(inner.calls()).toBe(3);
    verify(sigs[2]!, messages[2]!, pk);
    expect(inner.calls()).toBe(3);
    verify(sigs[0]!, messages[0]!, pk);
    expect(inner.calls()).toBe(4);
  });
});
