// The one STUN exchange a relay answers (RFC 5389 §6–§15): a Binding request in, a Binding success response
// out carrying XOR-MAPPED-ADDRESS (the address and port the request came from, as the NAT rewrote them) and
// FINGERPRINT. That is all ICE needs from a STUN server to learn a node's server-reflexive candidate.
// Everything else (other methods, indications, responses, malformed or oversized datagrams) is refused.
import { isIPv4, isIPv6 } from 'node:net';
import { crc32 } from 'node:zlib';

export const STUN_MAGIC_COOKIE = 0x2112a442;
const HEADER_BYTES = 20;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const ATTR_XOR_MAPPED_ADDRESS = 0x0020;
const ATTR_FINGERPRINT = 0x8028;
const FINGERPRINT_XOR = 0x5354554e;

/**
 * Largest request we look at. A Binding request to a server carries at most a few small attributes
 * (SOFTWARE, FINGERPRINT, PRIORITY…); 548 bytes is RFC 5389's floor for what a path must carry.
 */
export const MAX_STUN_REQUEST_BYTES = 548;

/** Why a datagram is not a Binding request we answer. */
export type StunRefusal = 'too-short' | 'too-long' | 'not-stun' | 'not-a-binding-request' | 'bad-length';

/** The transaction id (12 bytes) of a well-formed Binding request, or why it is not one. */
export function parseBindingRequest(
  datagram: Uint8Array,
): { readonly transactionId: Uint8Array } | { readonly refused: StunRefusal } {
  if (datagram.byteLength < HEADER_BYTES) return { refused: 'too-short' };
  if (datagram.byteLength > MAX_STUN_REQUEST_BYTES) return { refused: 'too-long' };
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const type = view.getUint16(0);
  // The two top bits of every STUN message are zero, and the cookie is fixed (RFC 5389 §6).
  if ((type & 0xc000) !== 0 || view.getUint32(4) !== STUN_MAGIC_COOKIE) return { refused: 'not-stun' };
  if (type !== BINDING_REQUEST) return { refused: 'not-a-binding-request' };
  const length = view.getUint16(2);
  if (length % 4 !== 0 || length !== datagram.byteLength - HEADER_BYTES) return { refused: 'bad-length' };
  return { transactionId: datagram.slice(8, HEADER_BYTES) };
}

/** The Binding success response telling the sender it was seen at `address`:`port`. */
export function bindingSuccess(transactionId: Uint8Array, address: string, port: number): Uint8Array {
  if (transactionId.byteLength !== 12) throw new RangeError('a STUN transaction id has 12 bytes');
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new RangeError(`bad port ${port}`);
  const ip = addressBytes(address);
  const mappedBytes = 4 + ip.byteLength;
  const body = 4 + mappedBytes + 8; // XOR-MAPPED-ADDRESS, then FINGERPRINT
  const message = new Uint8Array(HEADER_BYTES + body);
  const view = new DataView(message.buffer);
  view.setUint16(0, BINDING_SUCCESS);
  view.setUint16(2, body);
  view.setUint32(4, STUN_MAGIC_COOKIE);
  message.set(transactionId, 8);
  let at = HEADER_BYTES;
  view.setUint16(at, ATTR_XOR_MAPPED_ADDRESS);
  view.setUint16(at + 2, mappedBytes);
  view.setUint8(at + 5, ip.byteLength === 4 ? 0x01 : 0x02);
  view.setUint16(at + 6, port ^ (STUN_MAGIC_COOKIE >>> 16));
  // The address is XORed with the cookie, and for IPv6 with the cookie and the transaction id (§15.2).
  const mask = message.subarray(4, 20);
  for (let i = 0; i < ip.byteLength; i += 1) message[at + 8 + i] = ip[i]! ^ mask[i]!;
  at += 4 + mappedBytes;
  // FINGERPRINT covers everything before it, with the length already counting it (§15.5).
  view.setUint16(at, ATTR_FINGERPRINT);
  view.setUint16(at + 2, 4);
  view.setUint32(at + 4, (crc32(message.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0);
  return message;
}

/** The mapped address a Binding success response carries (what a client reads back), or null. */
export function readXorMappedAddress(message: Uint8Array): { address: string; port: number } | null {
  if (message.byteLength < HEADER_BYTES) return null;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  if (view.getUint16(0) !== BINDING_SUCCESS || view.getUint32(4) !== STUN_MAGIC_COOKIE) return null;
  const end = Math.min(message.byteLength, HEADER_BYTES + view.getUint16(2));
  for (let at = HEADER_BYTES; at + 4 <= end;) {
    const type = view.getUint16(at);
    const length = view.getUint16(at + 2);
    if (at + 4 + length > end) return null;
    if (type === ATTR_XOR_MAPPED_ADDRESS && (length === 8 || length === 20)) {
      const port = view.getUint16(at + 6) ^ (STUN_MAGIC_COOKIE >>> 16);
      const mask = message.subarray(4, 20);
      const ip = new Uint8Array(length - 4);
      for (let i = 0; i < ip.byteLength; i += 1) ip[i] = message[at + 8 + i]! ^ mask[i]!;
      return { address: formatAddress(ip), port };
    }
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return null;
}

function addressBytes(address: string): Uint8Array {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  const text = mapped ? mapped[1]! : address;
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!isIPv6(text)) throw new RangeError(`not an IP address: ${address}`);
  const [head = '', tail = ''] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = text.includes('::') ? groups(tail) : [];
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

function formatAddress(ip: Uint8Array): string {
  if (ip.byteLength === 4) return ip.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16));
  return groups.join(':');
}
