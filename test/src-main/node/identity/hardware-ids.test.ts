import { describe, expect, it } from 'vitest';
import { bootDiskSerials } from '../../../../src-main/node/identity/hardware-ids.ts';

const disk = (name: string, serial: string, removable = false) => ({
  name,
  type: 'disk',
  mount: '',
  serial,
  removable,
});
const part = (name: string, mount: string) => ({ name, type: 'part', mount, serial: '', removable: false });

describe('boot disk serial', () => {
  it('is the serial of the fixed disk holding the root partition, and only that disk', () => {
    const blocks = [disk('sda', 'USB-STICK-9', true), disk('nvme0n1', 'S5GXNF0N'), part('nvme0n1p2', '/')];
    expect(bootDiskSerials(blocks, [])).toEqual(['S5GXNF0N']);
  });

  it('is nothing when the OS boots from a removable or USB disk, or the root cannot be found', () => {
    expect(bootDiskSerials([disk('sdb', 'EXT-1', true), part('sdb1', '/')], [])).toEqual([]);
    expect(
      bootDiskSerials(
        [disk('sdb', 'EXT-2'), part('sdb1', '/')],
        [{ device: '/dev/sdb', serialNum: 'EXT-2', interfaceType: 'USB' }],
      ),
    ).toEqual([]);
    expect(bootDiskSerials([disk('sda', 'S1'), part('sda1', '/home')], [])).toEqual([]);
  });

  it('takes the serial from the disk layout when the block device does not report one', () => {
    const blocks = [disk('sda', ''), part('sda1', '/')];
    expect(
      bootDiskSerials(blocks, [{ device: '/dev/sda', serialNum: 'WD-123', interfaceType: 'SATA' }]),
    ).toEqual(['WD-123']);
  });
});
