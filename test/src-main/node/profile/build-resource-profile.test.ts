import { describe, expect, it } from 'vitest';
import { buildResourceProfile } from '../../../../src-main/node/profile/build-resource-profile.ts';
import { appleGpuShareBytes, normaliseGpuVendor } from '../../../../src-main/node/profile/gpu-rules.ts';
import { parseNvidiaSmi } from '../../../../src-main/node/profile/read-raw-hardware.ts';
import { DEFAULT_TIERS, machineSizes, qualify } from '../../../../src-shared/tiers/index.ts';
import {
  BUILD_VM_RAW,
  LINUX_H200_NO_SMI,
  LINUX_H200_WITH_SMI,
  MAC_M2_PRO_32,
  WINDOWS_RX_7900,
  raw,
} from './raw-fixtures.ts';

const GIB = 2 ** 30;
const MIB = 2 ** 20;

describe('buildResourceProfile', () => {
  it('reads this VM: unknown clock, no GPU, cores and memory as reported', () => {
    const profile = buildResourceProfile(BUILD_VM_RAW);
    expect(profile.cpu).toEqual({
      model: 'Intel Xeon® Processor',
      arch: 'x64',
      cores: 2,
      threads: 2,
      speedGhz: null,
    });
    expect(profile.gpus).toEqual([]);
    expect(machineSizes(profile)).toEqual({
      cpuCores: 2,
      ramGb: 24,
      modelMemoryGb: 24,
      gpuMemoryGb: 0,
      gpuModel: null,
      freeDiskGb: 82,
    });
  });

  it('survives the empty and nonsense fields some machines return', () => {
    const profile = buildResourceProfile(
      raw({
        cpu: { manufacturer: '', brand: '', cores: Number.NaN, physicalCores: 0, speed: -1 },
        mem: { total: Number.NaN, available: -5 },
      }),
    );
    expect(profile.cpu).toMatchObject({ model: 'Unknown CPU', cores: 0, threads: 0, speedGhz: null });
    expect(profile.memory).toEqual({ totalBytes: 0, availableBytes: 0 });
    expect(qualify(profile, DEFAULT_TIERS).every((tier) => !tier.qualified)).toBe(true);
  });

  it('never trusts a PCI BAR size on Linux as GPU memory', () => {
    const [gpu] = buildResourceProfile(LINUX_H200_NO_SMI).gpus;
    expect(gpu).toMatchObject({ vendor: 'nvidia', memory: { kind: 'unknown' }, usableBytes: 0 });
  });

  it('trusts nvidia-smi, and keeps 10 % and 512 MiB of headroom for placement', () => {
    const [gpu] = buildResourceProfile(LINUX_H200_WITH_SMI).gpus;
    expect(gpu?.memory).toEqual({ kind: 'dedicated', totalBytes: 143_771 * MIB, source: 'nvidia-smi' });
    expect(gpu?.usableBytes).toBe(Math.floor(143_771 * MIB * 0.9));
    expect((gpu?.usableBytes ?? 0) / GIB).toBeCloseTo(126.4, 1);
  });

  it('prefers its own nvidia-smi answer when systeminformation found no controller', () => {
    const profile = buildResourceProfile(
      raw({
        nvidiaGpus: [{ name: 'NVIDIA GeForce RTX 4090', memoryTotalMiB: 24_564, memoryFreeMiB: 1_000 }],
      }),
    );
    expect(profile.gpus).toHaveLength(1);
    // Only 1,000 MiB free: a model may use what is free minus 512 MiB, not 90 % of the card.
    expect(profile.gpus[0]?.usableBytes).toBe(488 * MIB);
    expect(machineSizes(profile).gpuMemoryGb).toBe(24);
  });

  it('counts Apple Silicon by the GPU share of unified memory', () => {
    const profile = buildResourceProfile(MAC_M2_PRO_32);
    expect(profile.gpus[0]?.memory).toEqual({
      kind: 'unified',
      systemBytes: 32 * GIB,
      gpuShareBytes: (32 * GIB * 2) / 3,
    });
    expect(machineSizes(profile).gpuMemoryGb).toBe(21.3);
    // Placement also respects memory pressure: only 20 GiB are available right now.
    expect(profile.gpus[0]?.usableBytes).toBe(20 * GIB);
  });

  it('trusts a discrete card on Windows but not an integrated GPU', () => {
    const profile = buildResourceProfile(WINDOWS_RX_7900);
    expect(profile.gpus.map((gpu) => [gpu.vendor, gpu.memory.kind])).toEqual([
      ['amd', 'dedicated'],
      ['intel', 'unknown'],
    ]);
    expect(machineSizes(profile)).toMatchObject({ gpuMemoryGb: 24, gpuModel: 'AMD Radeon RX 7900 XTX' });
  });

  it('reads AMD memory from amdgpu sysfs on Linux', () => {
    const profile = buildResourceProfile(
      raw({
        controllers: [
          {
            vendor: 'Advanced Micro Devices, Inc. [AMD/ATI]',
            model: 'Navi 31',
            vram: 256,
            vramDynamic: false,
          },
        ],
        amdVramBytes: [24 * GIB],
      }),
    );
    expect(profile.gpus[0]?.memory).toEqual({ kind: 'dedicated', totalBytes: 24 * GIB, source: 'driver' });
  });
});

describe('GPU rules', () => {
  it('gives Metal the share Apple allows', () => {
    expect(appleGpuShareBytes(16 * GIB, null) / GIB).toBeCloseTo(10.67, 2);
    expect(appleGpuShareBytes(32 * GIB, null) / GIB).toBeCloseTo(21.33, 2);
    expect(appleGpuShareBytes(128 * GIB, null) / GIB).toBe(96);
    expect(appleGpuShareBytes(64 * GIB, 56 * 1024) / GIB).toBe(56);
    expect(appleGpuShareBytes(8 * GIB, null) / GIB).toBe(4);
  });

  it('normalises vendor strings', () => {
    expect(normaliseGpuVendor('NVIDIA Corporation')).toBe('nvidia');
    expect(normaliseGpuVendor('Advanced Micro Devices, Inc. [AMD/ATI]')).toBe('amd');
    expect(normaliseGpuVendor('Intel Corporation')).toBe('intel');
    expect(normaliseGpuVendor('Apple')).toBe('apple');
    expect(normaliseGpuVendor('Matrox')).toBe('other');
  });

  it('parses nvidia-smi CSV and skips lines it cannot read', () => {
    expect(
      parseNvidiaSmi(
        'NVIDIA GeForce RTX 4090, 24564, 23000\r\nNVIDIA H200, 143771, 143167\ngarbage\n, 1, 2\nX, [N/A], 3\n',
      ),
    ).toEqual([
      { name: 'NVIDIA GeForce RTX 4090', memoryTotalMiB: 24_564, memoryFreeMiB: 23_000 },
      { name: 'NVIDIA H200', memoryTotalMiB: 143_771, memoryFreeMiB: 143_167 },
    ]);
  });
});
