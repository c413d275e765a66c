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

  /** `size` bytes that `write` fills in little-endian order. */
  #fixed(size: number, write: (buffer: Buffer) => unknown): void {
    const buffer = Buffer.alloc(size);
    write(buffer);
    this.raw(buffer);
  }

  u32(n: number): void {
    this.#fixed(4, (b) => b.writeUInt32LE(n));
  }

  i32(n: number): void {
    this.#fixed(4, (b) => b.writeInt32LE(n));
  }

  u64(n: number): void {
    this.#fixed(8, (b) => b.writeBigUInt64LE(BigInt(n)));
  }

  f32(n: number): void {
    this.#fixed(4, (b) => b.writeFloatLE(n));
  }

  string(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.u64(bytes.length);
    this.raw(bytes);
  }

  raw(buffer: Buffer): void {
    this.#parts.push(buffer);
    this.#length += buffer.length;
  }

  concat(): Buffer {
    return Buffer.concat(this.#parts, this.#length);
  }
}

/** The scalar types a metadata value or array element can have. */
type GgufScalar = 'u32' | 'i32' | 'f32' | 'bool' | 'string';

/** Each scalar type's GGUF type id and how one value of it is written. */
const SCALARS: Record<
  GgufScalar,
  { readonly id: number; readonly write: (sink: ByteSink, value: never) => void }
> = {
  u32: { id: 4, write: (sink, value: number) => sink.u32(value) },
  i32: { id: 5, write: (sink, value: number) => sink.i32(value) },
  f32: { id: 6, write: (sink, value: number) => sink.f32(value) },
  bool: { id: 7, write: (sink, value: boolean) => sink.raw(Buffer.from([value ? 1 : 0])) },
  string: { id: 8, write: (sink, value: string) => sink.string(value) },
};
const ARRAY_TYPE_ID = 9;

/** A scalar is its type id and value; an array is the array id, its element type id, its length and values. */
function writeValue(sink: ByteSink, value: GgufValue): void {
  const array = value.type.endsWith('[]');
  const { id, write } = SCALARS[(array ? value.type.slice(0, -2) : value.type) as GgufScalar] as {
    readonly id: number;
    readonly write: (sink: ByteSink, value: unknown) => void;
  };
  if (!array) {
    sink.u32(id);
    write(sink, value.value);
    return;
  }
  const items = value.value as readonly unknown[];
  sink.u32(ARRAY_TYPE_ID);
  sink.u32(id);
  sink.u64(items.length);
  for (const item of items) write(sink, item);
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
