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

  it('starts again from the shortest delay once the engine stayed healthy long enough', () => {
    const backoff = new RestartBackoff({ initialDelayMs: 100, stableAfterMs: 60_000 });
    backoff.recordCrash(0);
    backoff.recordCrash(1_000);
    backoff.recordHealthy(2_000);
    expect(backoff.recordCrash(62_000)).toEqual({ restart: true, delayMs: 100, attempt: 1 });
  });

  it('still counts a crash loop of an engine that is ready for a moment each time', () => {
    const backoff = new RestartBackoff({ maxConsecutiveCrashes: 3, stableAfterMs: 60_000 });
    for (const at of [0, 5_000]) {
      backoff.recordHealthy(at);
      expect(backoff.recordCrash(at + 1_000).restart).toBe(true);
    }
    backoff.recordHealthy(10_000);
    expect(backoff.recordCrash(11_000)).toEqual({ restart: false, crashes: 3 });
  });
});
