// `engine status --engine builtin`: what the built-in engine would run on (llama.cpp's backend, the GPUs it
// sees, the threads a node gives it) and the model files in the cache with their hashes, each ready or not.
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { builtinThreads } from './builtin-threads.ts';
import type { HostBackend, HostGpu } from './host-protocol.ts';

export interface BuiltinProbeModelFile {
  readonly name: string;
  readonly path: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  /** On disk with the size the index recorded when its hash was verified. */
  readonly present: boolean;
}

export interface BuiltinProbeModel {
  readonly id: string;
  readonly key: string;
  /** Verified (in the index) and every file whole on disk: the engine may load it. */
  readonly ready: boolean;
  readonly verifiedAt: string;
  readonly files: readonly BuiltinProbeModelFile[];
}

export interface BuiltinProbeReport {
  readonly engine: 'builtin';
  /** The backend llama.cpp loads with: cpu, or metal, cuda, vulkan; null when its library does not load. */
  readonly backend: HostBackend | null;
  readonly gpuDevices: readonly string[];
  readonly gpuMemory: { readonly totalBytes: number; readonly freeBytes: number };
  readonly cpuCores: number;
  /** Threads a node gives one built-in tier on this machine. */
  readonly threads: number;
  readonly nodeLlamaCpp: string | null;
  readonly cacheDir: string;
  readonly models: readonly BuiltinProbeModel[];
  readonly problems: readonly string[];
}

/** A verified model as the model cache's index records it. */
export interface CachedModelEntry {
  readonly key: string;
  readonly id: string;
  readonly files: readonly { readonly name: string; readonly sha256: string; readonly sizeBytes: number }[];
  readonly verifiedAt: number;
}

export interface BuiltinProbeOptions {
  readonly cacheDir: string;
  /** The cache's index entries (from the models service's cache). */
  readonly cached: readonly CachedModelEntry[];
  /** Where a cached model's file lives. */
  readonly pathOf: (model: CachedModelEntry, fileName: string) => string;
  /** 'auto' (as a contributor's node runs) or false (CPU only). */
  readonly gpu?: HostGpu;
}

export async function probeBuiltin(options: BuiltinProbeOptions): Promise<BuiltinProbeReport> {
  const problems: string[] = [];
  let backend: HostBackend | null = null;
  let gpuDevices: string[] = [];
  let gpuMemory = { totalBytes: 0, freeBytes: 0 };
  let version: string | null = null;
  try {
    const llamaCpp = await import('node-llama-cpp');
    version = await llamaCpp.getModuleVersion();
    // Probing only: node-llama-cpp tries each GPU backend in a subprocess before it loads it here.
    const llama = await llamaCpp.getLlama({ gpu: options.gpu ?? 'auto', build: 'never', maxThreads: 1 });
    backend = llama.gpu === false ? 'cpu' : llama.gpu;
    gpuDevices = await llama.getGpuDeviceNames();
    const vram = await llama.getVramState();
    gpuMemory = { totalBytes: vram.total, freeBytes: vram.free };
    await llama.dispose();
  } catch (error) {
    problems.push(
      `llama.cpp does not load on this machine: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const models: BuiltinProbeModel[] = [];
  for (const model of options.cached) {
    const files: BuiltinProbeModelFile[] = [];
    for (const file of model.files) {
      const path = options.pathOf(model, file.name);
      const size = await stat(path).then(
        (s) => (s.isFile() ? s.size : -1),
        () => -1,
      );
      files.push({
        name: file.name,
        path,
        sha256: file.sha256,
        sizeBytes: file.sizeBytes,
        present: size === file.sizeBytes,
      });
    }
    const ready = files.length > 0 && files.every((file) => file.present);
    if (!ready)
      problems.push(
        `${model.id}: a file is missing or changed since it was verified; it will be fetched again`,
      );
    models.push({
      id: model.id,
      key: model.key,
      ready,
      verifiedAt: new Date(model.verifiedAt).toISOString(),
      files,
    });
  }
  const cpuCores = availableParallelism();
  return {
    engine: 'builtin',
    backend,
    gpuDevices,
    gpuMemory,
    cpuCores,
    threads: builtinThreads(cpuCores, 1),
    nodeLlamaCpp: version,
    cacheDir: options.cacheDir,
    models,
    problems,
  };
}
