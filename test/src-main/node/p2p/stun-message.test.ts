import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  bindingSuccess,
  MAX_STUN_REQUEST_BYTES,
  parseBindingRequest,
  readXorMappedAddress,
  STUN_MAGIC_COOKIE,
} from '../../../../src-main/node/p2p/stun-message.ts';

const TRANSACTION = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

/** A Binding request as a STUN client sends it, with `attributes` bytes after the header. */
function bindingRequest(attributes = new Uint8Array(0), type = 0x0001): Uint8Array {
  const message = new Uint8Array(20 + attributes.byteLength);
  const view = new DataView(message.buffer);
  view.setUint16(0, type);
  view.setUint16(2, attributes.byteLength);
  view.setUint32(4, STUN_MAGIC_COOKIE);
  message.set(TRANSACTION, 8);
  message.set(attributes, 20);
  return message;
}

describe('STUN messages (RFC 5389)', () => {
  it('reads the transaction id of a Binding request, attributes or not', () => {
    expect(parseBindingRequest(bindingRequest())).toEqual({ transactionId: TRANSACTION });
    // SOFTWARE "abcd", as clients add.
    const software = Uint8Array.from([0x80, 0x22, 0, 4, 97, 98, 99, 100]);
    expect(parseBindingRequest(bindingRequest(software))).toEqual({ transactionId: TRANSACTION });
  });

  it('refuses what is not a well-formed Binding request', () => {
    expect(parseBindingRequest(new Uint8Array(19))).toEqual({ refused: 'too-short' });
    expect(parseBindingRequest(new Uint8Array(MAX_STUN_REQUEST_BYTES + 1))).toEqual({ refused: 'too-long' });
    const noCookie = bindingRequest();
    noCookie[4] = 0;
    expect(parseBindingRequest(noCookie)).toEqual({ refused: 'not-stun' });
    expect(parseBindingRequest(bindingRequest(new Uint8Array(0), 0x4001))).toEqual({ refused: 'not-stun' });
    // A Binding success response sent to us (a reflection attempt) is not answered.
    expect(parseBindingRequest(bindingRequest(new Uint8Array(0), 0x0101))).toEqual({
      refused: 'not-a-binding-request',
    });
    const lying = bindingRequest(new Uint8Array(8));
    new DataView(lying.buffer).setUint16(2, 12);
    expect(parseBindingRequest(lying)).toEqual({ refused: 'bad-length' });
    const unaligned = bindingRequest(new Uint8Array(3));
    expect(parseBindingRequest(unaligned)).toEqual({ refused: 'bad-length' });
  });

  it('answers with the sender address XORed as the RFC says, and a valid FINGERPRINT', () => {
    const response = bindingSuccess(TRANSACTION, '192.0.2.1', 32853);
    const view = new DataView(response.buffer);
    expect(view.getUint16(0)).toBe(0x0101);
    expect(view.getUint16(2)).toBe(response.byteLength - 20);
    expect(response.subarray(8, 20)).toEqual(TRANSACTION);
    // RFC 5769 §2.2's address and port: X-Port 0xa147, X-Address 0xe112a643.
    expect(Buffer.from(response.subarray(24, 32)).toString('hex')).toBe('0001a147e112a643');
    const fingerprintAt = response.byteLength - 8;
    expect(view.getUint16(fingerprintAt)).toBe(0x8028);
    expect(view.getUint32(fingerprintAt + 4)).toBe(
      (crc32(response.subarray(0, fingerprintAt)) ^ 0x5354554e) >>> 0,
    );
    expect(readXorMappedAddress(response)).toEqual({ address: '192.0.2.1', port: 32853 });
  });

  it('round-trips IPv6 and IPv4-mapped senders', () => {
    expect(
      readXorMappedAddress(bindingSuccess(TRANSACTION, '2001:db8:1234:5678:11:2233:4455:6677', 32853)),
    ).toEqual({
      address: '2001:db8:1234:5678:11:2233:4455:6677',
      port: 32853,
    });
    expect(readXorMappedAddress(bindingSuccess(TRANSACTION, '::ffff:10.0.0.7', 9))).toEqual({
      address: '10.0.0.7',
      port: 9,
    });
    expect(() => bindingSuccess(TRANSACTION, 'example.org', 1)).toThrow(RangeError);
  });
});
