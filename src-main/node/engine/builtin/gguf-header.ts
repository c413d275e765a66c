// A first look at a model file before llama.cpp gets it: node-llama-cpp's own reader takes a damaged header
// at its word (a tensor count of billions) and can hang on it, so the engine refuses such a file up front.
import { open } from 'node:fs/promises';

/** More tensors or metadata keys than any real model has: the header is damaged. */
const MAX_COUNT = 1_000_000;

/** Why the file is not a GGUF model llama.cpp can read, or null when its header looks right. */
export async function ggufHeaderProblem(path: string): Promise<string | null> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(24);
    const { bytesRead } = await file.read(header, 0, header.length, 0);
    if (bytesRead < header.length) return `it is too short to be a GGUF model (${bytesRead} bytes)`;
    if (header.toString('latin1', 0, 4) !== 'GGUF') return 'it is not a GGUF model (no GGUF magic)';
    const version = header.readUInt32LE(4);
    if (version !== 2 && version !== 3) return `its GGUF version ${version} is not supported (2 or 3)`;
    const tensors = header.readBigUInt64LE(8);
    const keys = header.readBigUInt64LE(16);
    if (tensors === 0n || tensors > BigInt(MAX_COUNT)) return `its header is damaged (${tensors} tensors)`;
    if (keys > BigInt(MAX_COUNT)) return `its header is damaged (${keys} metadata keys)`;
    return null;
  } finally {
    await file.close();
  }
}
