// Reads the hardware ids the fingerprint hashes. Root-only sysfs files read as '' for a desktop user; fine.
import si from 'systeminformation';
import type { HardwareIds } from './machine-fingerprint.ts';

export async function readHardwareIds(): Promise<HardwareIds> {
  const [uuid, system, baseboard, disks] = await Promise.all([
    si.uuid().catch(() => ({ hardware: '', os: '' })),
    si.system().catch(() => ({ uuid: '', serial: '' })),
    si.baseboard().catch(() => ({ serial: '' })),
    si.diskLayout().catch(() => []),
  ]);
  return {
    'hardware-uuid': [uuid.hardware],
    'system-uuid': [system.uuid],
    'system-serial': [system.serial],
    'baseboard-serial': [baseboard.serial],
    'disk-serial': disks.map((disk) => disk.serialNum),
    'os-machine-id': [uuid.os],
  };
}
