// The config's signature check is as strict as the ledger's: a small-order founder key's "signature" that
// bare OpenSSL accepts is refused.
import { verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../../src-shared/ledger/bytes.ts';
import {
  generateFounderKey,
  nodeEd25519Verify,
  publicKeyFromRaw,
  rawPublicKey,
  signEd25519,
} from '../../../../src-main/node/network-config/ed25519.ts';

const message = new TextEncoder().encode('network config revision 2');

function bareOpenSsl(key: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(null, message, publicKeyFromRaw(key), signature);
  } catch {
    return false;
  }
}

describe('the network config’s Ed25519 check', () => {
  it('accepts a founder’s signature and refuses it on another message or key', () => {
    const founder = generateFounderKey();
    const other = generateFounderKey();
    const signature = signEd25519(founder.privateKey, message);
    expect(nodeEd25519Verify(rawPublicKey(founder.publicKey), message, signature)).toBe(true);
    expect(nodeEd25519Verify(rawPublicKey(founder.publicKey), message.subarray(1), signature)).toBe(false);
    expect(nodeEd25519Verify(rawPublicKey(other.publicKey), message, signature)).toBe(false);
    expect(nodeEd25519Verify(new Uint8Array(31), message, signature)).toBe(false);
  });

  it('refuses small-order keys, whose forged signatures bare OpenSSL accepts', () => {
    const smallOrder = [
      '0100000000000000000000000000000000000000000000000000000000000000',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      '0000000000000000000000000000000000000000000000000000000000000080',
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
    ].map(fromHex);
    let acceptedByOpenSsl = 0;
    for (const key of smallOrder) {
      for (const r of [key, fromHex('0100000000000000000000000000000000000000000000000000000000000000')]) {
        const forged = new Uint8Array(64);
        forged.set(r, 0);
        if (bareOpenSsl(key, forged)) acceptedByOpenSsl++;
        expect(nodeEd25519Verify(key, message, forged)).toBe(false);
      }
    }
    expect(acceptedByOpenSsl).toBeGreaterThan(0);
  });
});
