// What the scan reads off the machine, before any rule is applied. Plain JSON so it can cross a worker
// boundary and be stored as a test fixture (ref/geo-and-profiling.md B2 is one).

export interface RawGpuController {
  readonly vendor: string;
  readonly model: string;
  /** MiB as systeminformation reports it: a PCI BAR size on Linux without vendor tools, null on Apple. */
  readonly vram: number | null;
  readonly vramDynamic: boolean;
  /** MiB, present only when nvidia-smi answered. */
  readonly memoryTotal?: number | null;
  readonly memoryFree?: number | null;
}

/** One line of `nvidia-smi --query-gpu=name,memory.total,memory.free`, MiB. */
export interface RawNvidiaGpu {
  readonly name: string;
  readonly memoryTotalMiB: number;
  readonly memoryFreeMiB: number;
}

export interface RawHardware {
  readonly platform: string;
  readonly arch: string;
  readonly cpu: {
    readonly manufacturer: string;
    readonly brand: string;
    readonly cores: number;
    readonly physicalCores: number;
    readonly speed: number;
  };
  readonly mem: { readonly total: number; readonly available: number };
  readonly controllers: readonly RawGpuController[];
  /** Our own nvidia-smi query; empty when the tool is absent. */
  readonly nvidiaGpus: readonly RawNvidiaGpu[];
  /** amdgpu's sysfs VRAM sizes in bytes (Linux); empty elsewhere. */
  readonly amdVramBytes: readonly number[];
  /** macOS `iogpu.wired_limit_mb`; 0 or null means the default Metal limit. */
  readonly appleWiredLimitMb: number | null;
  readonly disk: {
    readonly path: string;
    readonly freeBytes: number;
    readonly totalBytes: number;
    readonly mount: string | null;
  };
}
