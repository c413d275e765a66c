// A small seeded generator (xorshift128): the same seed writes the same model file, byte for byte, on every
// machine. Not for anything secret.

export class SeededRandom {
  #x: number;
  #y: number;
  #z: number;
  #w: number;

  constructor(seed: number) {
    // splitmix32 spreads even tiny seeds (0, 1, 2) over the whole state.
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
      return (t ^ (t >>> 16)) >>> 0;
    };
    this.#x = next() || 1;
    this.#y = next();
    this.#z = next();
    this.#w = next();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = this.#x ^ (this.#x << 11);
    this.#x = this.#y;
    this.#y = this.#z;
    this.#z = this.#w;
    this.#w = (this.#w ^ (this.#w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.#w;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [-scale, scale). */
  symmetric(scale: number): number {
    return (this.nextFloat() * 2 - 1) * scale;
  }

  /** Fills `bytes` with uniform random bytes. */
  fill(bytes: Uint8Array): void {
    const whole = bytes.length >>> 2;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < whole; i++) view.setUint32(i * 4, this.nextUint32(), true);
    for (let i = whole * 4; i < bytes.length; i++) bytes[i] = this.nextUint32() & 0xff;
  }
}
