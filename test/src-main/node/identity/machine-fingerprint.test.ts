import { describe, expect, it } from 'vitest';
import {
  cleanHardwareId,
  fingerprintFromIds,
  sameMachine,
  type HardwareIds,
} from '../../../../src-main/node/identity/machine-fingerprint.ts';

const ids = (overrides: Partial<HardwareIds>): HardwareIds => ({
  'hardware-uuid': [],
  'system-uuid': [],
  'system-serial': [],
  'baseboard-serial': [],
  'disk-serial': [],
  'os-machine-id': [],
  ...overrides,
});

describe('machine fingerprint', () => {
  it('filters the placeholders vendors and VMs report', () => {
    for (const junk of [
      '',
      '-',
      '0',
      '000000',
      'Default string',
      'To be filled by O.E.M.',
      'System Serial Number',
      '00000000-0000-0000-0000-000000000000',
      'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
      '03000200-0400-0500-0006-000700080009',
      'N/A',
      'None',
      'xxxxxxxx',
    ]) {
      expect(cleanHardwareId(junk), junk).toBe('');
    }
    expect(cleanHardwareId(' ABCD-1234 ')).toBe('abcd1234');
  });

  it('hashes only real ids, salted: this VM has only its machine-id', () => {
    const vm = ids({
      'system-serial': ['-'],
      'system-uuid': [''],
      'os-machine-id': ['3d1219c7c4c5404aaa1f6d2a48adfda4'],
    });
    const fingerprint = fingerprintFromIds(vm, 'salt-1');
    expect(fingerprint.hashes).toHaveLength(1);
    expect(fingerprint.hashes[0]?.kind).toBe('os-machine-id');
    expect(fingerprint.hashes[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(fingerprint)).not.toContain('3d1219c7');
    expect(fingerprintFromIds(vm, 'salt-2').hashes[0]?.hash).not.toBe(fingerprint.hashes[0]?.hash);
  });

  it('recognises the same machine after a reinstall that changed one id', () => {
    const before = fingerprintFromIds(
      ids({ 'system-uuid': ['4C4C4544-0042'], 'os-machine-id': ['aaa111'] }),
      's',
    );
    const after = fingerprintFromIds(
      ids({ 'system-uuid': ['4c4c4544-0042'], 'os-machine-id': ['bbb222'] }),
      's',
    );
    const other = fingerprintFromIds(
      ids({ 'system-uuid': ['99999999-1234'], 'os-machine-id': ['ccc333'] }),
      's',
    );
    expect(sameMachine(before, after)).toBe(true);
    expect(sameMachine(before, other)).toBe(false);
  });

  it('never matches two machines that both report only placeholders', () => {
    const a = fingerprintFromIds(ids({ 'system-serial': ['Default string'] }), 's');
    const b = fingerprintFromIds(ids({ 'system-serial': ['Default string'] }), 's');
    expect(a.hashes).toEqual([]);
    expect(sameMachine(a, b)).toBe(false);
  });
});
