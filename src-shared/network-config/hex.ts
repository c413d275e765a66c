// Hex is how keys and signatures appear in the (JSON) network config file: readable, diffable, unambiguous.

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** Lower-case hex of exactly `byteLength` bytes, or null. */
export function hexToBytes(hex: string, byteLength: number): Uint8Array | null {
  if (hex.length !== byteLength * 2 || !/^[0-9a-f]*$/.test(hex)) return null;
  const out = new Uint8Array(byteLength);
  for (let i = 0; i < byteLength; i += 1) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
