import { describe, expect, it } from 'vitest';
import { planContribution } from '../../../../src-main/app/contribution/contribution-plan.ts';
import { startIdleMonitor } from '../../../../src-main/app/contribution/idle-monitor.ts';

describe('planContribution', () => {
  it.each([
    [
      { userPaused: true, idleOnly: true, systemIdle: true },
      { contribute: false, reason: 'user' },
    ],
    [{ userPaused: false, idleOnly: false, systemIdle: false }, { contribute: true }],
    [
      { userPaused: false, idleOnly: true, systemIdle: false },
      { contribute: false, reason: 'waiting-for-idle' },
    ],
    [{ userPaused: false, idleOnly: true, systemIdle: true }, { contribute: true }],
  ])('%j → %j', (input, plan) => {
    expect(planContribution(input)).toEqual(plan);
  });
});

describe('startIdleMonitor', () => {
  it('reports idle once the idle time reaches the threshold, and active again after input', () => {
    let seconds = 0;
    const changes: boolean[] = [];
    let tick = () => {};
    const monitor = startIdleMonitor({
      source: { getSystemIdleTime: () => seconds },
      thresholdMinutes: () => 10,
      onChange: (idle) => changes.push(idle),
      setInterval: (callback) => (tick = callback),
      clearInterval: () => {},
    });
    seconds = 599;
    tick();
    seconds = 600;
    tick();
    tick();
    seconds = 3;
    tick();
    expect(changes).toEqual([true, false]);
    expect(monitor.idle).toBe(false);
  });
});
