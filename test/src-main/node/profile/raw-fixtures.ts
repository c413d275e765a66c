// Raw readings of real machine classes. BUILD_VM is this build machine (ref/geo-and-profiling.md B2);
// the others follow the vendor tools' real output formats (nvidia-smi, system_profiler via systeminformation).
import type { RawHardware } from '../../../../src-main/node/profile/raw-hardware.ts';

const GIB = 2 ** 30;

export const BUILD_VM_RAW: RawHardware = {
  platform: 'linux',
  arch: 'x64',
  cpu: { manufacturer: 'Intel', brand: 'Xeon® Processor', cores: 2, physicalCores: 2, speed: 0 },
  mem: { total: 25_276_063_744, available: 24_611_614_720 },
  controllers: [],
  nvidiaGpus: [],
  amdVramBytes: [],
  appleWiredLimitMb: null,
  disk: { path: '/', freeBytes: 82_025_115_648, totalBytes: 270_553_174_016, mount: '/' },
};

export function raw(overrides: Partial<RawHardware>): RawHardware {
  return { ...BUILD_VM_RAW, ...overrides };
}

export const LINUX_H200_NO_SMI = raw({
  controllers: [
    { vendor: 'NVIDIA Corporation', model: 'GH100 [H200 SXM 141GB]', vram: 262_144, vramDynamic: false },
  ],
});

export const LINUX_H200_WITH_SMI = raw({
  controllers: [
    {
      vendor: 'NVIDIA Corporation',
      model: 'GH100 [H200 SXM 141GB]',
      vram: 143_771,
      vramDynamic: false,
      memoryTotal: 143_771,
      memoryFree: 143_167,
    },
  ],
});

export const MAC_M2_PRO_32 = raw({
  platform: 'darwin',
  arch: 'arm64',
  cpu: { manufacturer: 'Apple', brand: 'M2 Pro', cores: 12, physicalCores: 12, speed: 3.5 },
  mem: { total: 32 * GIB, available: 20 * GIB },
  controllers: [{ vendor: 'Apple', model: 'Apple M2 Pro', vram: null, vramDynamic: true }],
});

export const WINDOWS_RX_7900 = raw({
  platform: 'win32',
  controllers: [
    {
      vendor: 'Advanced Micro Devices, Inc.',
      model: 'AMD Radeon RX 7900 XTX',
      vram: 24_560,
      vramDynamic: false,
    },
    { vendor: 'Intel Corporation', model: 'Intel(R) UHD Graphics 770', vram: 128, vramDynamic: true },
  ],
});
