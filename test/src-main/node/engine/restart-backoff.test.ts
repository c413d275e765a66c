import { describe, expect, it } from 'vitest';
import { RestartBackoff } from '../../../../src-main/node/engine/restart-backoff.ts';

describe('RestartBackoff', () => {
  it('doubles the delay up to the maximum, then gives up after the crash limit', () => {
    const backoff = new RestartBackoff({
      initialDelayMs: 1_000,
      maxDelayMs: 5_000,
      maxConsecutiveCrashes: 6,
    });
    const delays = Array.from({ length: 5 }, () => backoff.recordCrash());
    expect(delays.map((decision) => (decision.restart ? decision.delayMs : null))).toEqual([
      1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
    expect(backoff.recordCrash()).toEqual({ restart: false, crashes: 6 });
  });

  it('starts again from the shortest delay once the engine was healthy', () => {
    const backoff = new RestartBackoff({ initialDelayMs: 100 });
    backoff.recordCrash();
    backoff.recordCrash();
    backoff.recordHealthy();
    expect(backoff.consecutiveCrashes).toBe(0);
    expect(backoff.recordCrash()).toEqual({ restart: true, delayMs: 100, attempt: 1 });
  });
});
