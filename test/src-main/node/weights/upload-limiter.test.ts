// The upload cap's clock: within cap × (window + burst) plus one chunk over any window, and idle gaps (a
// peer's round trip between requests) earn at most the burst.
import { describe, expect, it } from 'vitest';
import { UploadLimiter } from '../../../../src-main/node/weights/upload-limiter.ts';

/** Senders that send a chunk whenever the limiter lets them, on a simulated clock. */
function simulate(
  limiter: UploadLimiter,
  clock: { at: number },
  untilMs: number,
  chunk: number,
  gap: (sent: number) => number = () => 0,
): { at: number; bytes: number }[] {
  const sends: { at: number; bytes: number }[] = [];
  while (clock.at < untilMs) {
    clock.at += limiter.reserve(chunk);
    sends.push({ at: clock.at, bytes: chunk });
    clock.at += gap(sends.length);
  }
  return sends;
}

describe('UploadLimiter', () => {
  it('keeps every 30 s window within the cap plus the burst and one chunk', () => {
    const clock = { at: 1_000_000 };
    const cap = 3_000_000;
    const limiter = new UploadLimiter(cap, () => clock.at, 2000);
    const chunk = 65_536;
    // A peer that pauses 800 ms after every 4 MiB (its next request's round trip).
    const sends = simulate(limiter, clock, 1_000_000 + 120_000, chunk, (n) => (n % 64 === 0 ? 800 : 0));
    for (let from = 1_000_000; from + 30_000 <= 1_000_000 + 120_000; from += 1000) {
      const bytes = sends
        .filter((send) => send.at >= from && send.at < from + 30_000)
        .reduce((sum, send) => sum + send.bytes, 0);
      expect(bytes).toBeLessThanOrEqual(cap * 32 + chunk);
      // The gaps are earned back: never below 95 % of the cap over a window.
      expect(bytes).toBeGreaterThanOrEqual(cap * 30 * 0.95);
    }
  });

  it('after an idle while sends the burst at once, then at the cap', () => {
    const clock = { at: 5000 };
    const limiter = new UploadLimiter(1000, () => clock.at, 2000);
    expect(limiter.reserve(1000)).toBe(0);
    expect(limiter.reserve(1000)).toBe(0);
    expect(limiter.reserve(1000)).toBe(0); // Two seconds' worth ahead, then the clock.
    expect(limiter.reserve(1000)).toBe(1000);
  });

  it('0 is no cap', () => {
    const limiter = new UploadLimiter(0, () => 0);
    expect(limiter.reserve(10 ** 9)).toBe(0);
  });
});
