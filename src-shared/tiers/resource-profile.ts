// What the profile service measured on this machine. Plain JSON: it crosses the ipc contract as it is.

export type GpuVendor = 'nvidia' | 'amd' | 'intel' | 'apple' | 'other';

/** How much memory a GPU has, and how sure we are of it. */
export type GpuMemory =
  /** A discrete card; `source` says whether the size came from the vendor tool (exact) or the driver. */
  | { readonly kind: 'dedicated'; readonly totalBytes: number; readonly source: 'nvidia-smi' | 'driver' }
  /** Apple Silicon: the GPU allocates from system RAM, up to the share Metal lets it wire. */
  | { readonly kind: 'unified'; readonly systemBytes: number; readonly gpuShareBytes: number }
  /** An integrated or unrecognised GPU whose memory we cannot trust (Intel iGPU, a PCI BAR size). */
  | { readonly kind: 'unknown' };

export interface GpuResource {
  readonly vendor: GpuVendor;
  readonly model: string;
  readonly memory: GpuMemory;
  /** What a model placed on this GPU may use after overhead (placement, not qualification). */
  readonly usableBytes: number;
}

export interface ResourceProfile {
  readonly platform: string;
  readonly cpu: {
    readonly model: string;
    readonly arch: string;
    /** Physical cores; what a person calls "an 8-core CPU". */
    readonly cores: number;
    readonly threads: number;
    /** Base clock in GHz; null where the machine does not say (VMs report 0). */
    readonly speedGhz: number | null;
  };
  readonly memory: { readonly totalBytes: number; readonly availableBytes: number };
  readonly gpus: readonly GpuResource[];
  /** Free space on the filesystem that holds the data directory (models are stored there). */
  readonly disk: {
    readonly path: string;
    readonly freeBytes: number;
    readonly totalBytes: number;
    readonly mount: string | null;
  };
}
