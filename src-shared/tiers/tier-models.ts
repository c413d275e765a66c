// The model catalog of one tier: per engine, the model it serves and what that model needs from a machine.
// Signed in the network config (DESIGN.md §5), so founders can change a tier's model without an app release.

/** One file of a GGUF model; split models (over 50 GB on Hugging Face) have several, loaded from the first. */
export interface GgufFile {
  /** The file's own name: a plain name, never a path (the cache keeps it as given). */
  readonly name: string;
  /** Where to fetch it, in order of preference (http or https; the SHA-256 decides what is accepted). */
  readonly urls: readonly string[];
  readonly sizeBytes: number;
  /** SHA-256 of the whole file, lower-case hex. */
  readonly sha256: string;
  /**
   * Root CID (v1, base32) of the file as a UnixFS DAG with fixed 1 MiB chunks and raw leaves: lets region
   * peers serve it block by block, each block verified by its hash. Absent: the file comes from its URLs only.
   */
  readonly cid?: string;
}

/** A GGUF model for the built-in llama.cpp engine. */
export interface GgufModel {
  readonly format: 'gguf';
  /** The id the engine reports for it (in /v1/models and in replies). */
  readonly id: string;
  /** llama.cpp's quantization name ("Q4_K_M"). */
  readonly quantization: string;
  /** Context length the node serves it with. */
  readonly contextLength: number;
  /** Memory (RAM and GPU memory together) to run it at that context: weights, KV cache, compute buffers. */
  readonly memoryBytes: number;
  readonly files: readonly GgufFile[];
}

/** What running a model takes from a machine. */
export interface ModelNeeds {
  /** RAM and GPU memory together (llama.cpp splits layers between them). */
  readonly memoryBytes: number;
  /** Disk space for its files. */
  readonly diskBytes: number;
}

/** Per engine, the model a tier serves. */
export interface TierModels {
  /** EXO's model id. */
  readonly exo: string;
  /** What EXO's model needs; absent where the founders have not stated it. */
  readonly exoNeeds?: ModelNeeds;
  /** The built-in engine's GGUF; absent: the tier has no built-in model yet (EXO or OpenAI only). */
  readonly builtin?: GgufModel;
}

/** Engines that take their model from the catalog. */
export type CatalogEngine = 'builtin' | 'exo';

/** Bytes of all of a GGUF model's files. */
export function ggufSizeBytes(model: GgufModel): number {
  return model.files.reduce((sum, file) => sum + file.sizeBytes, 0);
}

/** What the tier's model for `engine` needs; null when the catalog does not say. */
export function modelNeeds(models: TierModels, engine: CatalogEngine): ModelNeeds | null {
  if (engine === 'builtin') {
    const model = models.builtin;
    return model ? { memoryBytes: model.memoryBytes, diskBytes: ggufSizeBytes(model) } : null;
  }
  return models.exoNeeds ?? null;
}
