import { describe, expect, it } from 'vitest';
import { diskGb, formatGb, nominalMemoryGb } from '../../../src-shared/tiers/index.ts';

const GIB = 2 ** 30;
const MIB = 2 ** 20;

describe('nominalMemoryGb', () => {
  it('names reported sizes as they are sold', () => {
    expect(nominalMemoryGb(24_564 * MIB)).toBe(24); // RTX 4090
    expect(nominalMemoryGb(143_771 * MIB)).toBe(141); // H200
    expect(nominalMemoryGb(62 * GIB)).toBe(64);
    expect(nominalMemoryGb(25_276_063_744)).toBe(24); // this VM
    expect(nominalMemoryGb(15.5 * GIB)).toBe(16);
    expect(nominalMemoryGb(8 * GIB)).toBe(8);
  });

  it('keeps the measured amount when it is far from any marketed size', () => {
    expect(nominalMemoryGb(44 * GIB)).toBe(44);
    expect(nominalMemoryGb(28 * GIB)).toBe(28);
    expect(nominalMemoryGb(0.5 * GIB)).toBe(0.5);
  });

  it('is zero for nothing or nonsense', () => {
    expect(nominalMemoryGb(0)).toBe(0);
    expect(nominalMemoryGb(-1)).toBe(0);
    expect(nominalMemoryGb(Number.NaN)).toBe(0);
  });
});

describe('disk and formatting', () => {
  it('counts disk in decimal GB, as disks are sold', () => {
    expect(diskGb(1e12)).toBe(1000);
    expect(diskGb(82_025_115_648)).toBe(82);
    expect(formatGb(1000)).toBe('1 TB');
    expect(formatGb(21.3)).toBe('21.3 GB');
    expect(formatGb(24)).toBe('24 GB');
  });
});
