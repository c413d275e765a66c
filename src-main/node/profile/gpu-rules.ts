// Rules that turn reported GPUs into memory we can trust (ref/geo-and-profiling.md B1, B3).
import type { GpuMemory, GpuResource, GpuVendor } from '../../../src-shared/tiers/index.ts';
import type { RawGpuController, RawHardware, RawNvidiaGpu } from './raw-hardware.ts';

const MIB = 2 ** 20;
const GIB = 2 ** 30;

export function normaliseGpuVendor(vendor: string, model = ''): GpuVendor {
  const text = `${vendor} ${model}`;
  if (/nvidia/i.test(text)) return 'nvidia';
  if (/\bamd\b|advanced micro devices|\bati\b|radeon/i.test(text)) return 'amd';
  if (/intel/i.test(text)) return 'intel';
  if (/apple/i.test(text)) return 'apple';
  return 'other';
}

/**
 * Metal lets the GPU wire only part of unified memory: about 2/3 up to 36 GB, 3/4 above, and never the last
 * 4 GB; `iogpu.wired_limit_mb` overrides it when a user raised it.
 */
export function appleGpuShareBytes(systemBytes: number, wiredLimitMb: number | null): number {
  if (wiredLimitMb !== null && wiredLimitMb > 0) return Math.min(wiredLimitMb * MIB, systemBytes);
  const share = systemBytes <= 36 * GIB ? (systemBytes * 2) / 3 : (systemBytes * 3) / 4;
  return Math.max(0, Math.min(share, systemBytes - 4 * GIB));
}

/** What a model may use on a discrete NVIDIA card: 90 % of it, and never the last 512 MiB of what is free. */
function nvidiaUsableBytes(totalMiB: number, freeMiB: number | null | undefined): number {
  const ninety = totalMiB * MIB * 0.9;
  if (freeMiB === null || freeMiB === undefined) return Math.floor(ninety);
  return Math.max(0, Math.floor(Math.min(ninety, (freeMiB - 512) * MIB)));
}

function fromNvidiaSmi(gpu: RawNvidiaGpu): GpuResource {
  return {
    vendor: 'nvidia',
    model: gpu.name,
    memory: { kind: 'dedicated', totalBytes: gpu.memoryTotalMiB * MIB, source: 'nvidia-smi' },
    usableBytes: nvidiaUsableBytes(gpu.memoryTotalMiB, gpu.memoryFreeMiB),
  };
}

function fromController(
  raw: RawHardware,
  controller: RawGpuController,
  amdIndex: { next: number },
): GpuResource {
  const vendor = normaliseGpuVendor(controller.vendor, controller.model);
  const model = controller.model.trim() || controller.vendor.trim() || 'Unknown GPU';
  let memory: GpuMemory = { kind: 'unknown' };
  let usableBytes = 0;
  if (vendor === 'apple' && raw.platform === 'darwin') {
    const share = appleGpuShareBytes(raw.mem.total, raw.appleWiredLimitMb);
    memory = { kind: 'unified', systemBytes: raw.mem.total, gpuShareBytes: share };
    usableBytes = Math.floor(Math.min(share, raw.mem.available));
  } else if (vendor === 'nvidia' && controller.memoryTotal) {
    memory = { kind: 'dedicated', totalBytes: controller.memoryTotal * MIB, source: 'nvidia-smi' };
    usableBytes = nvidiaUsableBytes(controller.memoryTotal, controller.memoryFree);
  } else if (vendor === 'amd' && raw.platform === 'linux' && raw.amdVramBytes[amdIndex.next] !== undefined) {
    const totalBytes = raw.amdVramBytes[amdIndex.next++] ?? 0;
    memory = { kind: 'dedicated', totalBytes, source: 'driver' };
    usableBytes = Math.floor(totalBytes * 0.9);
  } else if (
    // Linux reports a PCI BAR size as vram when no vendor tool answered: never trust it there.
    (raw.platform === 'win32' || raw.platform === 'darwin') &&
    !controller.vramDynamic &&
    (vendor === 'nvidia' || vendor === 'amd') &&
    controller.vram !== null &&
    controller.vram > 0
  ) {
    memory = { kind: 'dedicated', totalBytes: controller.vram * MIB, source: 'driver' };
    usableBytes = Math.floor(controller.vram * MIB * 0.9);
  }
  return { vendor, model, memory, usableBytes };
}

/** Every GPU with the memory we trust. nvidia-smi's own answer wins over systeminformation's controllers. */
export function gpusFromRaw(raw: RawHardware): GpuResource[] {
  const gpus: GpuResource[] = raw.nvidiaGpus.map(fromNvidiaSmi);
  const amdIndex = { next: 0 };
  for (const controller of raw.controllers) {
    const isNvidia = normaliseGpuVendor(controller.vendor, controller.model) === 'nvidia';
    if (isNvidia && raw.nvidiaGpus.length > 0) continue;
    gpus.push(fromController(raw, controller, amdIndex));
  }
  return gpus;
}
