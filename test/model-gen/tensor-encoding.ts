// How ggml stores the tensor types the test models use: F32, F16, and the Q8_0 / Q4_0 blocks of 32 values
// (ggml's reference layouts: a f16 scale, then 32 int8 values or 16 bytes of packed 4-bit values).
import type { SeededRandom } from './seeded-random.ts';

/** ggml's type ids for the types written here. */
export const GGML_TYPE = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;
export type GgmlType = (typeof GGML_TYPE)[keyof typeof GGML_TYPE];

export const QUANT_BLOCK = 32;
const BLOCK_BYTES: Record<GgmlType, number> = { 0: 4, 1: 2, 2: 18, 8: 34 };
const BLOCK_VALUES: Record<GgmlType, number> = { 0: 1, 1: 1, 2: QUANT_BLOCK, 8: QUANT_BLOCK };

/** Bytes one row of `width` values takes in `type` (width must be a whole number of blocks). */
export function rowBytes(type: GgmlType, width: number): number {
  const per = BLOCK_VALUES[type];
  if (width % per !== 0) throw new RangeError(`a row of ${width} values is not whole blocks of ${per}`);
  return (width / per) * BLOCK_BYTES[type];
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half precision bits of `value` (round to nearest even; overflow to infinity). */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half += 1;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half += 1;
  return sign | half;
}

/**
 * Writes one row of `values` (a dense float row) in `type`. Quantizes like ggml's reference quantizers, so
 * a written row means what the floats said (within the type's precision).
 */
export function encodeRow(type: GgmlType, values: Float32Array, out: Uint8Array, offset: number): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  switch (type) {
    case GGML_TYPE.F32:
      for (let i = 0; i < values.length; i++) view.setFloat32(offset + i * 4, values[i] ?? 0, true);
      return;
    case GGML_TYPE.F16:
      for (let i = 0; i < values.length; i++) view.setUint16(offset + i * 2, toHalf(values[i] ?? 0), true);
      return;
    case GGML_TYPE.Q8_0:
      for (let b = 0; b < values.length / QUANT_BLOCK; b++) {
        const base = b * QUANT_BLOCK;
        let amax = 0;
        for (let j = 0; j < QUANT_BLOCK; j++) amax = Math.max(amax, Math.abs(values[base + j] ?? 0));
        const d = amax / 127;
        const id = d ? 1 / d : 0;
        const at = offset + b * 34;
        view.setUint16(at, toHalf(d), true);
        for (let j = 0; j < QUANT_BLOCK; j++)
          view.setInt8(at + 2 + j, Math.round((values[base + j] ?? 0) * id));
      }
      return;
    case GGML_TYPE.Q4_0:
      for (let b = 0; b < values.length / QUANT_BLOCK; b++) {
        const base = b * QUANT_BLOCK;
        let amax = 0;
        let max = 0;
        for (let j = 0; j < QUANT_BLOCK; j++) {
          const v = values[base + j] ?? 0;
          if (Math.abs(v) > amax) {
            amax = Math.abs(v);
            max = v;
          }
        }
        const d = max / -8;
        const id = d ? 1 / d : 0;
        const at = offset + b * 18;
        view.setUint16(at, toHalf(d), true);
        for (let j = 0; j < QUANT_BLOCK / 2; j++) {
          const x0 = Math.min(15, Math.trunc((values[base + j] ?? 0) * id + 8.5));
          const x1 = Math.min(15, Math.trunc((values[base + QUANT_BLOCK / 2 + j] ?? 0) * id + 8.5));
          out[at + 2 + j] = x0 | (x1 << 4);
        }
      }
      return;
  }
}

/**
 * One row of random Q4_0 blocks whose values spread with standard deviation ≈ `std`: random nibbles and a
 * fixed scale. Much faster than quantizing random floats, which matters for a 200 MB model.
 */
export function randomQ4Row(
  random: SeededRandom,
  width: number,
  std: number,
  out: Uint8Array,
  offset: number,
): void {
  // Nibbles 0…15 minus 8 have a standard deviation of ~4.6.
  const scale = toHalf(std / 4.6);
  const blocks = width / QUANT_BLOCK;
  const body = out.subarray(offset, offset + blocks * 18);
  random.fill(body);
  for (let b = 0; b < blocks; b++) {
    body[b * 18] = scale & 0xff;
    body[b * 18 + 1] = scale >>> 8;
  }
}
