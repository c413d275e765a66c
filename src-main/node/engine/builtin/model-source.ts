// Where the built-in engine gets its model files: the models service (catalog, cache, downloads) implements
// this; tests and benchmarks hand over a file they generated. The engine layer declares it so that it never
// imports the models service.

/** A model file on disk, verified and ready to load. */
export interface ModelFile {
  /** Absolute path of the GGUF file. */
  readonly path: string;
  /** The id the engine reports as the model it serves (in `ready.models` and in replies). */
  readonly modelId: string;
  /** The context length to serve with (the catalog's, at most the model's own). */
  readonly contextLength: number;
  /** Lowercase hex SHA-256 of the file, as verified. */
  readonly sha256: string;
}

/** Answers which model file serves a tier on the built-in engine, once that file is ready. */
export interface ModelSource {
  /** The tier's ready model file, or null while it is missing, downloading, verifying or failed. */
  fileFor(tier: string): ModelFile | null;
}

/** One model file for the given tiers (every tier when none are given): for tests, benchmarks and devnets. */
export class FixedModelSource implements ModelSource {
  readonly #file: ModelFile;
  readonly #tiers: ReadonlySet<string> | null;

  constructor(file: ModelFile, tiers?: readonly string[]) {
    this.#file = file;
    this.#tiers = tiers === undefined ? null : new Set(tiers);
  }

  fileFor(tier: string): ModelFile | null {
    return this.#tiers === null || this.#tiers.has(tier) ? this.#file : null;
  }
}
