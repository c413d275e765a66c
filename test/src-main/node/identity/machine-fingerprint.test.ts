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
  'gpu-uuid': [],
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

  it('hashes only real strong ids, salted: a VM with only its machine-id and serial has no fingerprint', () => {
    const vm = ids({
      'system-serial': ['VMware-56 4d'],
      'system-uuid': [''],
      'os-machine-id': ['3d1219c7c4c5404aaa1f6d2a48adfda4'],
    });
    expect(fingerprintFromIds(vm, 'salt-1').hashes).toEqual([]);
    const board = ids({ 'baseboard-serial': ['PF2ABCDE'], 'gpu-uuid': ['GPU-8e2a1f3c-77aa'] });
    const fingerprint = fingerprintFromIds(board, 'salt-1');
    expect(fingerprint.hashes.map((h) => h.kind)).toEqual(['baseboard-serial', 'gpu-uuid']);
    expect(fingerprint.hashes[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(fingerprint)).not.toContain('pf2abcde');
    expect(fingerprintFromIds(board, 'salt-2').hashes[0]?.hash).not.toBe(fingerprint.hashes[0]?.hash);
  });

  it('hashes one SMBIOS UUID once, even when the platform reports it as hardware and system uuid', () => {
    const linux = ids({ 'hardware-uuid': ['4C4C4544-0042'], 'system-uuid': ['4c4c4544-0042'] });
    expect(fingerprintFromIds(linux, 's').hashes).toHaveLength(1);
  });

  it('recognises the same machine after a reinstall only on two shared strong ids, never on machine-id', () => {
    const before = fingerprintFromIds(
      ids({ 'system-uuid': ['4C4C4544-0042'], 'baseboard-serial': ['B1'], 'os-machine-id': ['aaa111'] }),
      's',
    );
    const after = fingerprintFromIds(
      ids({ 'system-uuid': ['4c4c4544-0042'], 'baseboard-serial': ['b1'], 'os-machine-id': ['bbb222'] }),
      's',
    );
    // Same machine-id (a cloned image) and one shared external disk: not the same machine.
    const clone = fingerprintFromIds(
      ids({ 'system-uuid': ['99999999-1234'], 'disk-serial': ['WD-USB-1'], 'os-machine-id': ['aaa111'] }),
      's',
    );
    const withDisk = fingerprintFromIds(
      ids({ 'system-uuid': ['4c4c4544-0042'], 'disk-serial': ['WD-USB-1'] }),
      's',
    );
    expect(sameMachine(before, after)).toBe(true);
    expect(sameMachine(before, clone)).toBe(false);
    expect(sameMachine(clone, withDisk)).toBe(false);
  });

  it('never matches two machines that both report only placeholders', () => {
    const a = fingerprintFromIds(ids({ 'system-serial': ['Default string'] }), 's');
    const b = fingerprintFromIds(ids({ 'system-serial': ['Default string'] }), 's');
    expect(a.hashes).toEqual([]);
    expect(sameMachine(a, b)).toBe(false);
  });
});
