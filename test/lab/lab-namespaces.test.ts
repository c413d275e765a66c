// Which leftover namespaces a lab may sweep. Pure (no root needed): the names and which processes live are
// given. Found the hard way: a NAT lab test run under OG_LAB_PREFIX=lab7 swept a running soak's namespaces
// (prefix lab7s) and SIGKILLed its ten nodes two minutes into the run.
import { describe, expect, it } from 'vitest';
import { isAbandonedLab } from './lab-namespaces.ts';

const alive =
  (...pids: number[]) =>
  (pid: number): boolean =>
    pids.includes(pid);
const b36 = (pid: number) => pid.toString(36);

describe('isAbandonedLab', () => {
  it('sweeps a namespace of our prefix whose creating process is gone', () => {
    expect(isAbandonedLab(`lab7${b36(4242)}x1-hub`, 'lab7', alive(1, 99))).toBe(true);
    expect(isAbandonedLab(`chaos${b36(4242)}x2-n3`, 'chaos', alive(1, 99))).toBe(true);
  });

  it('keeps a namespace whose creating process still runs', () => {
    expect(isAbandonedLab(`lab7${b36(4242)}x1-hub`, 'lab7', alive(4242))).toBe(false);
  });

  it("keeps a running lab under a longer prefix that starts with ours (lab7 vs lab7s's soak)", () => {
    // Read with our prefix, the pid would be `s` + …, a process that does not exist.
    const soak = `lab7s${b36(9074)}x1-n4`;
    expect(isAbandonedLab(soak, 'lab7', alive(9074))).toBe(false);
    expect(isAbandonedLab(soak, 'lab', alive(9074))).toBe(false);
    // Once the soak's process is gone, its leftovers are anybody's to sweep.
    expect(isAbandonedLab(soak, 'lab7', alive(1))).toBe(true);
  });

  it('never touches names of another pattern', () => {
    expect(isAbandonedLab('sk7702x1-hub', 'lab7', alive())).toBe(false);
    expect(isAbandonedLab('lab7-hub', 'lab7', alive())).toBe(false);
    expect(isAbandonedLab('other', 'chaos', alive())).toBe(false);
  });
});
