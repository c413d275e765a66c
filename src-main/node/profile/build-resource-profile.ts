import type { ResourceProfile } from '../../../src-shared/tiers/index.ts';
import { gpusFromRaw } from './gpu-rules.ts';
import type { RawHardware } from './raw-hardware.ts';

/** Pure: raw readings → the profile the rest of the node and the UI use. Robust to a VM's empty fields. */
export function buildResourceProfile(raw: RawHardware): ResourceProfile {
  const physical = positiveInt(raw.cpu.physicalCores);
  const logical = positiveInt(raw.cpu.cores);
  const model = `${raw.cpu.manufacturer} ${raw.cpu.brand}`.replace(/\s+/g, ' ').trim();
  return {
    platform: raw.platform,
    cpu: {
      model: model === '' ? 'Unknown CPU' : model,
      arch: raw.arch,
      cores: physical || logical,
      threads: logical || physical,
      // VMs and some ARM boards report 0 GHz: unknown, not zero.
      speedGhz: Number.isFinite(raw.cpu.speed) && raw.cpu.speed > 0 ? raw.cpu.speed : null,
    },
    memory: { totalBytes: nonNegative(raw.mem.total), availableBytes: nonNegative(raw.mem.available) },
    gpus: gpusFromRaw(raw),
    disk: {
      path: raw.disk.path,
      freeBytes: nonNegative(raw.disk.freeBytes),
      totalBytes: nonNegative(raw.disk.totalBytes),
      mount: raw.disk.mount,
    },
  };
}

function positiveInt(value: number): number {
  return Number.isInteger(value) && value > 0 ? value : 0;
}

function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
