// A GGUF v3 file writer (ggml's layout, as llama.cpp's gguf.cpp reads it): header, key/value metadata,
// tensor infos, then the tensor data at the alignment, each tensor padded so the offsets are contiguous.
// Tensor bytes are produced one tensor at a time and streamed, so a 200 MB model never sits in memory.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { rowBytes, type GgmlType } from './tensor-encoding.ts';

export const GGUF_ALIGNMENT = 32;

/** A metadata value with its GGUF type. */
export type GgufValue =
  | { readonly type: 'u32'; readonly value: number }
  | { readonly type: 'i32'; readonly value: number }
  | { readonly type: 'f32'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'string[]'; readonly value: readonly string[] }
  | { readonly type: 'f32[]'; readonly value: readonly number[] }
  | { readonly type: 'i32[]'; readonly value: readonly number[] };

/** A tensor to write: `ne[0]` is the contiguous dimension; `fill` writes its bytes into `out`. */
export interface GgufTensor {
  readonly name: string;
  readonly ne: readonly number[];
  readonly type: GgmlType;
  readonly fill: (out: Uint8Array) => void;
}

const VALUE_TYPE = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;

/** Bytes the tensor's data takes (before padding). */
export function tensorBytes(tensor: Pick<GgufTensor, 'ne' | 'type'>): number {
  const [width = 1, ...rest] = tensor.ne;
  return rowBytes(tensor.type, width) * rest.reduce((product, n) => product * n, 1);
}

function align(n: number): number {
  return Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
}

class ByteSink {
  readonly #parts: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  #push(buffer: Buffer): void {
    this.#parts.push(buffer);
    this.#length += buffer.length;
  }

  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.#push(b);
  }

  i32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    this.#push(b);
  }

  u64(n: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.#push(b);
  }

  f32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(n);
    this.#push(b);
  }

  string(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.u64(bytes.length);
    this.#push(bytes);
  }

  raw(buffer: Buffer): void {
    this.#push(buffer);
  }

  concat(): Buffer {
    return Buffer.concat(this.#parts, this.#length);
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  switch (value.type) {
    case 'u32':
      sink.u32(VALUE_TYPE.u32);
      sink.u32(value.value);
      return;
    case 'i32':
      sink.u32(VALUE_TYPE.i32);
      sink.i32(value.value);
      return;
    case 'f32':
      sink.u32(VALUE_TYPE.f32);
      sink.f32(value.value);
      return;
    case 'bool':
      sink.u32(VALUE_TYPE.bool);
      sink.raw(Buffer.from([value.value ? 1 : 0]));
      return;
    case 'string':
      sink.u32(VALUE_TYPE.string);
      sink.string(value.value);
      return;
    case 'string[]':
      sink.u32(VALUE_TYPE.array);
      sink.u32(VALUE_TYPE.string);
      sink.u64(value.value.length);
      for (const text of value.value) sink.string(text);
      return;
    case 'f32[]':
      sink.u32(VALUE_TYPE.array);
      sink.u32(VALUE_TYPE.f32);
      sink.u64(value.value.length);
      for (const n of value.value) sink.f32(n);
      return;
    case 'i32[]':
      sink.u32(VALUE_TYPE.array);
      sink.u32(VALUE_TYPE.i32);
      sink.u64(value.value.length);
      for (const n of value.value) sink.i32(n);
      return;
  }
}

/** Writes the file at `path` (replacing it) and returns its SHA-256 (hex) and size. */
export async function writeGguf(
  path: string,
  metadata: ReadonlyArray<readonly [string, GgufValue]>,
  tensors: readonly GgufTensor[],
): Promise<{ sha256: string; sizeBytes: number }> {
  const header = new ByteSink();
  header.raw(Buffer.from('GGUF', 'ascii'));
  header.u32(3);
  header.u64(tensors.length);
  header.u64(metadata.length + 1);
  header.string('general.alignment');
  writeValue(header, { type: 'u32', value: GGUF_ALIGNMENT });
  for (const [key, value] of metadata) {
    header.string(key);
    writeValue(header, value);
  }
  let offset = 0;
  for (const tensor of tensors) {
    header.string(tensor.name);
    header.u32(tensor.ne.length);
    for (const n of tensor.ne) header.u64(n);
    header.u32(tensor.type);
    header.u64(offset);
    offset += align(tensorBytes(tensor));
  }
  header.raw(Buffer.alloc(align(header.length) - header.length));

  const hash = createHash('sha256');
  const file = await open(path, 'w');
  let size = 0;
  const write = async (bytes: Uint8Array) => {
    hash.update(bytes);
    size += bytes.length;
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await file.write(bytes, done, bytes.length - done);
      done += bytesWritten;
    }
  };
  try {
    await write(header.concat());
    for (const tensor of tensors) {
      const bytes = tensorBytes(tensor);
      const data = new Uint8Array(align(bytes));
      tensor.fill(data.subarray(0, bytes));
      await write(data);
    }
    await file.sync();
  } finally {
    await file.close();
  }
  return { sha256: hash.digest('hex'), sizeBytes: size };
}
