// Reads the hardware ids the fingerprint hashes. Root-only sysfs files read as '' for a desktop user; fine.
// Only the fixed boot disk's serial is reported: an external disk moves between machines, and hashing its
// serial would tie every machine it was plugged into to one account (security finding 21).
import { execFile } from 'node:child_process';
import si from 'systeminformation';
import type { HardwareIds } from './machine-fingerprint.ts';

const GPU_QUERY_TIMEOUT_MS = 3_000;

/** The block devices and disks systeminformation reports, as far as the boot-disk choice needs them. */
export interface BlockDeviceInfo {
  readonly name: string;
  readonly type: string;
  readonly mount: string;
  readonly serial: string;
  readonly removable: boolean;
  readonly device?: string | undefined;
}

export interface DiskInfo {
  readonly device: string;
  readonly serialNum: string;
  readonly interfaceType: string;
}

const BOOT_MOUNTS = new Set(['/', 'C:', 'c:', 'C:\\']);

/**
 * The serial of the disk the OS boots from, or [] when it cannot be told or the disk is removable or on USB.
 * Pure, so the choice is tested without the machine's own disks.
 */
export function bootDiskSerials(blocks: readonly BlockDeviceInfo[], disks: readonly DiskInfo[]): string[] {
  const root = blocks.find((b) => BOOT_MOUNTS.has(b.mount));
  if (!root) return [];
  // The whole disk holding the root partition: the disk whose name prefixes the partition's ("nvme0n1" of
  // "nvme0n1p2", "sda" of "sda2"), or the root device itself when it is a whole disk.
  const wholeDisks = blocks.filter((b) => b.type === 'disk');
  const disk =
    root.type === 'disk'
      ? root
      : wholeDisks
          .filter((d) => root.name.startsWith(d.name))
          .sort((a, b) => b.name.length - a.name.length)[0];
  if (!disk || disk.removable) return [];
  const layout = disks.find((d) => d.device === `/dev/${disk.name}` || d.device === disk.device);
  if (layout && /usb/i.test(layout.interfaceType)) return [];
  const serial = disk.serial || layout?.serialNum || '';
  return serial ? [serial] : [];
}

/** GPU UUIDs from nvidia-smi, or [] where there is none (no NVIDIA GPU, no driver, a timeout). */
function readGpuUuids(): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=uuid', '--format=csv,noheader'],
      { timeout: GPU_QUERY_TIMEOUT_MS, windowsHide: true },
      (error, stdout) => {
        if (error) return resolve([]);
        resolve(
          stdout
            .split('\n')
            .map((line) => line.trim())
            .filter((line) => /^GPU-[0-9a-f-]{8,}$/i.test(line)),
        );
      },
    );
  });
}

export async function readHardwareIds(): Promise<HardwareIds> {
  const [uuid, system, baseboard, blocks, disks, gpus] = await Promise.all([
    si.uuid().catch(() => ({ hardware: '', os: '' })),
    si.system().catch(() => ({ uuid: '', serial: '' })),
    si.baseboard().catch(() => ({ serial: '' })),
    si.blockDevices().catch(() => []),
    si.diskLayout().catch(() => []),
    readGpuUuids(),
  ]);
  return {
    'hardware-uuid': [uuid.hardware],
    'system-uuid': [system.uuid],
    'system-serial': [system.serial],
    'baseboard-serial': [baseboard.serial],
    'disk-serial': bootDiskSerials(blocks, disks),
    'gpu-uuid': gpus,
    'os-machine-id': [uuid.os],
  };
}
